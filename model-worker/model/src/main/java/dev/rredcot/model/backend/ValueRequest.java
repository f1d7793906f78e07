package dev.rredcot.model.backend;

import java.util.Objects;

/**
 * A trace whose boundary states get "answer probability" values (METHOD.md section 2).
 *
 * @param prompt prompt text
 * @param traceTokens the trace's token ids
 * @param boundaries token offsets into the trace, each in {@code [0, traceTokens.length]} (0 =
 *     prompt only)
 * @param answerCue cue teacher-forced after the prefix, e.g. {@code "A: "}; not scored
 * @param answer answer text scored verbatim after the cue; pass the task's {@code
 *     answerSuffix(answer)} (answer plus newline) so that "5" is not credited for "53"
 */
public record ValueRequest(
    String prompt, int[] traceTokens, int[] boundaries, String answerCue, String answer) {

  /** Validates and copies. */
  public ValueRequest {
    Objects.requireNonNull(prompt, "prompt");
    traceTokens = Objects.requireNonNull(traceTokens, "traceTokens").clone();
    boundaries = Objects.requireNonNull(boundaries, "boundaries").clone();
    Objects.requireNonNull(answerCue, "answerCue");
    Objects.requireNonNull(answer, "answer");
    if (answer.isEmpty()) {
      throw new IllegalArgumentException("answer must not be empty");
    }
    for (int b : boundaries) {
      if (b < 0 || b > traceTokens.length) {
        throw new IllegalArgumentException(
            "boundary " + b + " outside [0, " + traceTokens.length + "]");
      }
    }
  }
}
