package dev.rredcot.model.task;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A family of verifiable reasoning problems: generates prompts, grades traces and knows the answer
 * cue that is teacher-forced after a chain-of-thought prefix.
 *
 * <p>A trace is the generated text only (the prompt excluded). For the arithmetic family it is a
 * list of step lines followed by an answer line {@code "A: <int>\n"}; see {@link ArithmeticTask}.
 * The countdown family uses the same layout; see {@link CountdownTask}. {@link TaskFamilies}
 * resolves a family from the name carried in a record.
 */
public interface TaskFamily {

  /** Short stable name, e.g. {@code "arith"}; part of every {@link Problem#id()}. */
  String name();

  /**
   * Returns the training problem for {@code seed}; the same seed always gives the same problem.
   * Warm-up, feeders and learning runs draw from here.
   */
  Problem generate(long seed);

  /**
   * Returns the held-out problem for {@code seed}, for measuring accuracy. A family with few
   * distinct instances splits them (countdown: by instance, so no held-out instance is ever a
   * training problem and recall cannot pass for learning); by default held-out problems are drawn
   * like training ones and kept apart by seed range only.
   */
  default Problem generateHeldOut(long seed) {
    return generate(seed);
  }

  /** Grades {@code trace} against the problem's reference answer. */
  default Verification verify(Problem problem, String trace) {
    return verifyAnswer(problem.answer(), trace);
  }

  /**
   * Grades {@code trace} against a reference answer alone: reward 1 when the trace is correct for
   * {@code referenceAnswer}, else 0 with a failure reason. For arithmetic the extracted final
   * answer must equal {@code referenceAnswer} exactly; for countdown the reference answer carries
   * the numbers and the target and every line is checked.
   */
  Verification verifyAnswer(String referenceAnswer, String trace);

  /**
   * Text teacher-forced after a CoT prefix (which always ends at a line boundary) before the
   * answer, e.g. {@code "A: "}.
   */
  String answerCue();

  /**
   * The text that ends every line of the family's prompts and traces (each step line and the answer
   * line), a newline by default. A family for a model with no newline in its vocabulary uses
   * another, e.g. {@code ". "} ({@link JsonlTaskFamily}'s {@code line_end}); segmentation cuts
   * after it and the continuation bank aligns remainders on it.
   */
  default String lineEnd() {
    return "\n";
  }

  /** Text to score after the cue for a given answer: {@code answer + lineEnd()}. */
  default String answerSuffix(String answer) {
    return answer + lineEnd();
  }

  /**
   * Index (0-based) of the first wrong line of {@code trace}, for evaluation only; empty when every
   * step and the answer line are right. Index {@code splitSteps(solution).size()} denotes the
   * answer line.
   */
  OptionalInt firstWrongStep(Problem problem, String trace);

  /**
   * The reasoning step lines of {@code trace}, each with its terminating newline, stopping before
   * the answer line; a trailing unterminated fragment without answer line is kept as the last
   * element, so the concatenation of the result is the CoT prefix of the trace.
   */
  List<String> splitSteps(String trace);

  /**
   * Whether a perfect player could still solve the problem after the CoT prefix {@code prefix}:
   * every complete line of it is valid and the answer can still be reached. This is the value of an
   * exact oracle, not of any policy. Empty when the family has no such oracle (the default).
   */
  default Optional<Boolean> solvableAfter(String referenceAnswer, String prefix) {
    return Optional.empty();
  }

  /**
   * The remainders (step lines, answer line included) with which a perfect player finishes the
   * problem after the CoT prefix {@code prefix}, at most {@code limit} of them: a diagnostic of
   * continuation-bank coverage. Empty when the prefix is lost or the family has no oracle.
   */
  default List<String> solutionsAfter(String referenceAnswer, String prefix, int limit) {
    return List.of();
  }
}
