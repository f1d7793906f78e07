package dev.rredcot.model.task;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The task families a stage can resolve from the name carried in a record ({@code taskFamily} of a
 * prompt or rollout): {@code arith} and {@code countdown}, each with its default configuration.
 *
 * <p>Verification, answer cues and step splitting depend only on the name: the arithmetic family
 * grades against the reference answer, the countdown family reads the instance from its reference
 * answer or prompt, so the default configuration serves records generated with any configuration.
 */
public final class TaskFamilies {

  /** One shared instance per name: both families are immutable and thread-safe. */
  private static final Map<String, TaskFamily> FAMILIES =
      new TreeMap<>(
          Map.of(
              ArithmeticTask.NAME, ArithmeticTask.defaults(),
              CountdownTask.NAME, CountdownTask.defaults()));

  private TaskFamilies() {}

  /** Names that {@link #resolve} knows, sorted. */
  public static Set<String> names() {
    return Collections.unmodifiableSet(FAMILIES.keySet());
  }

  /**
   * The family called {@code name}.
   *
   * @throws UnknownTaskFamilyException when no family has that name
   */
  public static TaskFamily resolve(String name) throws UnknownTaskFamilyException {
    TaskFamily family = name == null ? null : FAMILIES.get(name);
    if (family == null) {
      throw new UnknownTaskFamilyException(name, names());
    }
    return family;
  }
}
