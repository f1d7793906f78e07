package dev.rredcot.model.backend;

import java.util.Objects;

/**
 * A trace to score under the policy.
 *
 * @param prompt prompt text
 * @param traceTokens trace token ids (the scored part)
 */
public record ScoreRequest(String prompt, int[] traceTokens) {

  /** Validates and copies. */
  public ScoreRequest {
    Objects.requireNonNull(prompt, "prompt");
    traceTokens = Objects.requireNonNull(traceTokens, "traceTokens").clone();
  }
}
