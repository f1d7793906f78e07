package dev.rredcot.model.backend;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Continuation-bank values for a trace's boundaries (METHOD.md section 2, importance-sampling
 * form): at each boundary the bank's correct solutions are cut at the point that corresponds to it
 * and their remainders are scored after the trace prefix.
 *
 * <p>Lines end with the task family's line end ({@code lineEnd}, a newline unless the family says
 * otherwise). At a boundary whose trace prefix ends a line (or is empty) after j complete lines, a
 * bank text's aligned remainder is its step lines j+1..n followed by its answer line; a text with
 * at most j steps contributes its answer line alone. At a boundary inside a line there is no
 * corresponding point, so every remainder of every bank text (each cut at its own line boundaries)
 * is used; a remainder out of phase with the prefix adds almost nothing by itself.
 *
 * @param prompt prompt text
 * @param traceTokens the trace's token ids
 * @param boundaries token offsets into the trace, each in {@code [0, traceTokens.length]}
 * @param bankSteps the step lines of each correct solution (each ending with the line end), without
 *     its answer line {@code answerCue + answer}, which every solution shares
 * @param answerCue answer cue, e.g. {@code "A: "}; its tokens are scored with the remainder
 * @param answer answer text after the cue, e.g. {@code "53\n"}
 * @param aggregation how the remainders' log-probabilities combine
 * @param remainderRule what becomes of the aligned remainders after a prefix before they are scored
 *     (e.g. drop those that are not a valid continuation of it); {@link RemainderRule#ALIGNED}
 *     keeps them as aligned
 * @param lineEnd the text that ends each line ({@code TaskFamily.lineEnd()}), e.g. {@code "\n"}
 */
public record BankRequest(
    String prompt,
    int[] traceTokens,
    int[] boundaries,
    List<List<String>> bankSteps,
    String answerCue,
    String answer,
    BankAggregation aggregation,
    RemainderRule remainderRule,
    String lineEnd) {

  /**
   * Turns the aligned remainders after a trace prefix into the remainders scored there. The value
   * at a boundary with no remainder left is 0.
   */
  @FunctionalInterface
  public interface RemainderRule {
    /** Keeps the aligned remainders as they are. */
    RemainderRule ALIGNED = (prefixText, aligned) -> aligned;

    /**
     * The remainders to score after {@code prefixText}, given the {@code aligned} ones in bank
     * order.
     */
    Set<String> remainders(String prefixText, Set<String> aligned);
  }

  /** A request of newline-ended lines. */
  public BankRequest(
      String prompt,
      int[] traceTokens,
      int[] boundaries,
      List<List<String>> bankSteps,
      String answerCue,
      String answer,
      BankAggregation aggregation,
      RemainderRule remainderRule) {
    this(
        prompt,
        traceTokens,
        boundaries,
        bankSteps,
        answerCue,
        answer,
        aggregation,
        remainderRule,
        "\n");
  }

  /**
   * A request of newline-ended lines whose aligned remainders are scored as they are ({@link
   * RemainderRule#ALIGNED}).
   */
  public BankRequest(
      String prompt,
      int[] traceTokens,
      int[] boundaries,
      List<List<String>> bankSteps,
      String answerCue,
      String answer,
      BankAggregation aggregation) {
    this(
        prompt,
        traceTokens,
        boundaries,
        bankSteps,
        answerCue,
        answer,
        aggregation,
        RemainderRule.ALIGNED);
  }

  /** Validates and copies. */
  public BankRequest {
    Objects.requireNonNull(prompt, "prompt");
    traceTokens = Objects.requireNonNull(traceTokens, "traceTokens").clone();
    boundaries = Objects.requireNonNull(boundaries, "boundaries").clone();
    Objects.requireNonNull(lineEnd, "lineEnd");
    if (lineEnd.isEmpty()) {
      throw new IllegalArgumentException("lineEnd must not be empty");
    }
    List<List<String>> copied = new ArrayList<>();
    for (List<String> steps : bankSteps) {
      for (String step : steps) {
        if (!step.endsWith(lineEnd)) {
          throw new IllegalArgumentException(
              "bank step does not end with the line end '" + lineEnd + "': " + step);
        }
      }
      copied.add(List.copyOf(steps));
    }
    bankSteps = List.copyOf(copied);
    Objects.requireNonNull(answerCue, "answerCue");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(aggregation, "aggregation");
    Objects.requireNonNull(remainderRule, "remainderRule");
    if (bankSteps.isEmpty()) {
      throw new IllegalArgumentException("the continuation bank is empty");
    }
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

  /**
   * The distinct remainder texts (lines, cue and answer) to score after a trace prefix whose text
   * is {@code prefixText}: the aligned ones in bank order (see the type's Javadoc for the
   * alignment), passed through the request's {@link RemainderRule}.
   */
  public Set<String> remaindersAfter(String prefixText) {
    String answerLine = answerCue + answer;
    Set<String> remainders = new LinkedHashSet<>();
    boolean lineAligned = prefixText.isEmpty() || prefixText.endsWith(lineEnd);
    int completeLines = occurrences(prefixText, lineEnd);
    for (List<String> steps : bankSteps) {
      if (lineAligned) {
        remainders.add(join(steps, Math.min(completeLines, steps.size())) + answerLine);
      } else {
        for (int cut = 0; cut <= steps.size(); cut++) {
          remainders.add(join(steps, cut) + answerLine);
        }
      }
    }
    return remainderRule.remainders(prefixText, remainders);
  }

  /** Non-overlapping occurrences of {@code part} in {@code text}, left to right. */
  private static int occurrences(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
      count++;
    }
    return count;
  }

  private static String join(List<String> steps, int from) {
    return String.join("", steps.subList(from, steps.size()));
  }
}
