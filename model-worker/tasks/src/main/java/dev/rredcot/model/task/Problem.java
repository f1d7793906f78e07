package dev.rredcot.model.task;

import java.util.Map;
import java.util.Objects;

/**
 * One generated problem: the prompt given to the policy, a correct reference trace and the
 * reference answer.
 *
 * @param id deterministic from family, seed and configuration
 * @param family name of the {@link TaskFamily} that generated it
 * @param prompt text given to the policy, e.g. {@code "Q: 37+25-18+9\n"}
 * @param solution a correct reference trace in the family's exact format
 * @param answer the reference final answer, e.g. {@code "53"}
 * @param metadata family-specific details (seed, step count, ...)
 */
public record Problem(
    String id,
    String family,
    String prompt,
    String solution,
    String answer,
    Map<String, String> metadata) {

  public Problem {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(solution, "solution");
    Objects.requireNonNull(answer, "answer");
    metadata = Map.copyOf(metadata);
  }
}
