package dev.rredcot.infra.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.ToDoubleFunction;

/**
 * The signed error of one method's segment rewards against the truth's, split by where the segment
 * sits: in correct traces the first, middle and last segments; in wrong traces whose loss is
 * located, the segments before the one holding the lost line, that segment, and those after it; and
 * the losing segment again split by the trace's group (every member wrong, or some right). The
 * pooled bias of {@link CreditMetrics#valueBias} cannot say whether an estimator hands a correct
 * trace its credit at the move that made it or at its end, or how much of a wrong trace's blame
 * lands on the move that lost it; under the {@code rudder} rule those are the advantages.
 *
 * @param part which segments: one of {@link #PARTS}
 * @param bias mean signed error (estimate minus truth) over the part's segments of every trace
 * @param ci its bootstrap interval over traces
 * @param pairs segments counted
 */
public record RewardBiasByPosition(String part, double bias, BootstrapInterval ci, int pairs) {

  /** The parts, in report order. */
  public static final List<String> PARTS =
      List.of(
          "correct_first",
          "correct_middle",
          "correct_last",
          "wrong_before_loss",
          "wrong_loss",
          "wrong_after_loss",
          "wrong_loss_all_wrong_group",
          "wrong_loss_mixed_group");

  /** The bias of every part over {@code scored} traces. */
  static List<RewardBiasByPosition> of(List<TraceCreditOutcome> scored, int resamples, long seed) {
    List<RewardBiasByPosition> parts = new ArrayList<>();
    for (String part : PARTS) {
      ToDoubleFunction<List<TraceCreditOutcome>> bias =
          sample -> PairedSample.meanError(sample.stream().map(o -> slice(o, part)).toList());
      int pairs = 0;
      for (TraceCreditOutcome outcome : scored) {
        pairs += slice(outcome, part).estimate().length;
      }
      parts.add(
          new RewardBiasByPosition(
              part,
              bias.applyAsDouble(scored),
              BootstrapInterval.of(scored, bias, resamples, 0.95, seed),
              pairs));
    }
    return parts;
  }

  /** The segment rewards of {@code outcome} that belong to {@code part} (possibly none). */
  static PairedSample slice(TraceCreditOutcome outcome, String part) {
    PairedSample rewards = outcome.rewardPairs();
    int segments = rewards.estimate().length;
    boolean correct = outcome.trace().correct();
    if (part.startsWith("correct_")) {
      if (!correct || segments == 0) {
        return rewards.slice(0, 0);
      }
      return switch (part) {
        case "correct_first" -> rewards.slice(0, 1);
        case "correct_middle" -> rewards.slice(1, Math.max(1, segments - 1));
        case "correct_last" ->
            segments < 2 ? rewards.slice(0, 0) : rewards.slice(segments - 1, segments);
        default -> throw new IllegalArgumentException("unknown part " + part);
      };
    }
    OptionalInt loss = correct ? OptionalInt.empty() : lossSegment(outcome);
    if (loss.isEmpty()) {
      return rewards.slice(0, 0);
    }
    int at = loss.getAsInt();
    boolean allWrong = outcome.trace().group().stream().allMatch(r -> r.getReward() <= 0);
    return switch (part) {
      case "wrong_before_loss" -> rewards.slice(0, at);
      case "wrong_loss" -> rewards.slice(at, at + 1);
      case "wrong_after_loss" -> rewards.slice(at + 1, segments);
      case "wrong_loss_all_wrong_group" ->
          allWrong ? rewards.slice(at, at + 1) : rewards.slice(0, 0);
      case "wrong_loss_mixed_group" -> allWrong ? rewards.slice(0, 0) : rewards.slice(at, at + 1);
      default -> throw new IllegalArgumentException("unknown part " + part);
    };
  }

  /** The first segment of a wrong trace that holds the line where it was lost. */
  static OptionalInt lossSegment(TraceCreditOutcome outcome) {
    OptionalInt line = outcome.trace().lostAt();
    if (line.isEmpty()) {
      return OptionalInt.empty();
    }
    int[] span =
        FirstErrorLocalisation.lineSpan(outcome.trace().rollout().getText(), line.getAsInt());
    int[] chars = outcome.charBoundaries();
    for (int k = 0; k + 1 < chars.length; k++) {
      if (FirstErrorLocalisation.segmentContains(chars, k, span)) {
        return OptionalInt.of(k);
      }
    }
    return OptionalInt.empty();
  }
}
