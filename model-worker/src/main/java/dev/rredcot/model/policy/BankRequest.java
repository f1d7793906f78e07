package dev.rredcot.model.policy;

import java.util.List;
import java.util.Objects;

/**
 * Continuation-bank values for a trace's boundaries (METHOD.md section 2, importance-sampling
 * form).
 *
 * @param prompt prompt text
 * @param traceTokens the trace's token ids
 * @param boundaries token offsets into the trace, each in {@code [0, traceTokens.length]}
 * @param continuations correct continuation texts u, each ending with its answer line {@code
 *     answerCue + answer}; the text before that line is u, the answer line is scored as in {@link
 *     Policy#answerValues}
 * @param answerCue answer cue, e.g. {@code "A: "}
 * @param answer answer text after the cue, e.g. {@code "53\n"}
 * @param norm length normalisation of the log-probabilities
 */
public record BankRequest(
    String prompt,
    int[] traceTokens,
    int[] boundaries,
    List<String> continuations,
    String answerCue,
    String answer,
    LengthNormalization norm) {

  /** Validates and copies. */
  public BankRequest {
    Objects.requireNonNull(prompt, "prompt");
    traceTokens = Objects.requireNonNull(traceTokens, "traceTokens").clone();
    boundaries = Objects.requireNonNull(boundaries, "boundaries").clone();
    continuations = List.copyOf(continuations);
    Objects.requireNonNull(answerCue, "answerCue");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(norm, "norm");
    if (continuations.isEmpty()) {
      throw new IllegalArgumentException("the continuation bank is empty");
    }
    for (String u : continuations) {
      if (!u.endsWith(answerCue + answer)) {
        throw new IllegalArgumentException(
            "continuation does not end with the answer line '" + answerCue + answer + "': " + u);
      }
    }
    for (int b : boundaries) {
      if (b < 0 || b > traceTokens.length) {
        throw new IllegalArgumentException(
            "boundary " + b + " outside [0, " + traceTokens.length + "]");
      }
    }
  }
}
