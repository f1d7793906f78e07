package dev.rredcot.model.policy;

import java.util.Objects;

/**
 * A prompt and target trace tokens for teacher-forced cross-entropy (warm-up).
 *
 * @param prompt prompt text (conditioning only, not a target)
 * @param targetTokens trace tokens to learn, normally ending with the eos id
 */
public record SupervisedExample(String prompt, int[] targetTokens) {

  /** Validates and copies. */
  public SupervisedExample {
    Objects.requireNonNull(prompt, "prompt");
    targetTokens = Objects.requireNonNull(targetTokens, "targetTokens").clone();
    if (targetTokens.length == 0) {
      throw new IllegalArgumentException("targetTokens must not be empty");
    }
  }
}
