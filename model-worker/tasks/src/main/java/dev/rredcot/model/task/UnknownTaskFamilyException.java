package dev.rredcot.model.task;

import java.util.Set;

/** Thrown when a record names a task family that {@link TaskFamilies} does not know. */
public final class UnknownTaskFamilyException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String name;

  /** Creates the exception for {@code name}, listing the {@code known} names in the message. */
  public UnknownTaskFamilyException(String name, Set<String> known) {
    super("no task family '" + name + "' (known: " + String.join(", ", known) + ")");
    this.name = name;
  }

  /** The name that was asked for. */
  public String name() {
    return name;
  }
}
