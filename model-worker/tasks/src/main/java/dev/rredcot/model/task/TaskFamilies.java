package dev.rredcot.model.task;

import java.util.Set;

/**
 * The task families a stage can resolve from the name carried in a record ({@code taskFamily} of a
 * prompt or rollout): {@code arith} and {@code countdown}, each with its default configuration.
 *
 * <p>These are the built-in families of {@link TaskFamilyRegistry#builtIn()}; the value stage takes
 * its families from a configurable {@link TaskFamilyRegistry}.
 *
 * <p>Verification, answer cues and step splitting depend only on the name: the arithmetic family
 * grades against the reference answer, the countdown family reads the instance from its reference
 * answer or prompt, so the default configuration serves records generated with any configuration.
 */
public final class TaskFamilies {

  private TaskFamilies() {}

  /** Names that {@link #resolve} knows, sorted. */
  public static Set<String> names() {
    return TaskFamilyRegistry.builtIn().names();
  }

  /**
   * The family called {@code name}.
   *
   * @throws UnknownTaskFamilyException when no family has that name
   */
  public static TaskFamily resolve(String name) throws UnknownTaskFamilyException {
    return TaskFamilyRegistry.builtIn().resolve(name);
  }
}
