package dev.rredcot.model.backend;

import java.util.Objects;

/**
 * One sequence to sample: a prompt and an optional forced trace prefix that generation continues.
 *
 * @param prompt prompt text, e.g. {@code "Q: 37+25-18+9\n"}
 * @param forcedPrefixTokens trace tokens already fixed (e.g. a CoT prefix ending at a line
 *     boundary, for Monte Carlo values); empty for a fresh trace
 */
public record GenerationRequest(String prompt, int[] forcedPrefixTokens) {

  /** Validates and copies. */
  public GenerationRequest {
    Objects.requireNonNull(prompt, "prompt");
    forcedPrefixTokens = forcedPrefixTokens == null ? new int[0] : forcedPrefixTokens.clone();
  }

  /** A request for a fresh trace (no forced prefix). */
  public static GenerationRequest of(String prompt) {
    return new GenerationRequest(prompt, new int[0]);
  }
}
