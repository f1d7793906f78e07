package dev.rredcot.model.task;

import java.util.Objects;
import java.util.Optional;

/**
 * Outcome of grading one trace.
 *
 * @param reward 1 for an exactly correct final answer, else 0
 * @param extractedAnswer the well-formed final answer found in the trace, if any
 * @param failureReason why the reward is 0 (malformed output or wrong answer); empty when correct
 */
public record Verification(
    double reward, Optional<String> extractedAnswer, Optional<String> failureReason) {

  public Verification {
    Objects.requireNonNull(extractedAnswer, "extractedAnswer");
    Objects.requireNonNull(failureReason, "failureReason");
  }

  /** A correct answer: reward 1. */
  public static Verification correct(String answer) {
    return new Verification(1.0, Optional.of(answer), Optional.empty());
  }

  /** A well-formed but wrong answer: reward 0. */
  public static Verification wrong(String answer, String reason) {
    return new Verification(0.0, Optional.of(answer), Optional.of(reason));
  }

  /** Output with no usable answer: reward 0. */
  public static Verification malformed(String reason) {
    return new Verification(0.0, Optional.empty(), Optional.of(reason));
  }

  /** Whether the reward is 1. */
  public boolean isCorrect() {
    return reward == 1.0;
  }

  /** Whether a well-formed answer was found (right or wrong). */
  public boolean isWellFormed() {
    return extractedAnswer.isPresent();
  }
}
