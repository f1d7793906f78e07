package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RewardBiasByPositionTest {
  // Three lines, one segment each: characters 0..6, 6..12, 12..16.
  private static final String TEXT = "a=1+2\nb=3*4\nc=9\n";
  private static final int[] CHARS = {0, 6, 12, 16};

  private static TraceCreditOutcome outcome(
      boolean correct, OptionalInt lostAt, double[] rewards, double[] truthRewards) {
    Rollout rollout =
        Rollout.newBuilder()
            .setRolloutId(correct ? "c" : "w")
            .setPromptId("p")
            .setGroupId("p")
            .setSampleIndex(0)
            .setGroupSize(1)
            .setPolicyVersion(1L)
            .setPromptText("p")
            .setTokenIds(List.of(1, 2, 3))
            .setText(TEXT)
            .setLogProbs(List.of(-1f, -1f, -1f))
            .setReferenceAnswer("9")
            .setReferenceSolution(TEXT)
            .setReward(correct ? 1.0 : 0.0)
            .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
            .build();
    EvaluationTrace trace = new EvaluationTrace(rollout, null, 3, List.of(rollout), lostAt);
    double[] values = new double[rewards.length];
    return new TraceCreditOutcome(
        trace, new int[] {0, 1, 2, 3}, CHARS, values, values, rewards, truthRewards, 0, 0, null);
  }

  @Test
  void splitsTheRewardErrorByWhereTheSegmentSitsAndWhereTheTraceWasLost() {
    // A correct trace credited late: truth (0.3, 0.2, 0.1), estimate (0.1, 0.1, 0.4).
    TraceCreditOutcome correct =
        outcome(
            true, OptionalInt.empty(), new double[] {0.1, 0.1, 0.4}, new double[] {0.3, 0.2, 0.1});
    // A wrong trace lost on its second line: truth (0.1, −0.4, 0), estimate (0, −0.1, 0).
    TraceCreditOutcome wrong =
        outcome(false, OptionalInt.of(1), new double[] {0, -0.1, 0}, new double[] {0.1, -0.4, 0});
    // A wrong trace whose loss is not located counts in no wrong part.
    TraceCreditOutcome unlocated =
        outcome(false, OptionalInt.empty(), new double[] {5, 5, 5}, new double[] {0, 0, 0});
    List<TraceCreditOutcome> traces = new ArrayList<>(List.of(correct, wrong, unlocated));
    Map<String, RewardBiasByPosition> parts =
        RewardBiasByPosition.of(traces, 200, 7).stream()
            .collect(Collectors.toMap(RewardBiasByPosition::part, Function.identity()));
    assertEquals(RewardBiasByPosition.PARTS.size(), parts.size());
    assertEquals(-0.2, parts.get("correct_first").bias(), 1e-12);
    assertEquals(-0.1, parts.get("correct_middle").bias(), 1e-12);
    assertEquals(0.3, parts.get("correct_last").bias(), 1e-12);
    assertEquals(-0.1, parts.get("wrong_before_loss").bias(), 1e-12);
    assertEquals(0.3, parts.get("wrong_loss").bias(), 1e-12);
    assertEquals(0.0, parts.get("wrong_after_loss").bias(), 1e-12);
    // Each trace is its own group here: the located wrong one is in an all-wrong group.
    assertEquals(0.3, parts.get("wrong_loss_all_wrong_group").bias(), 1e-12);
    assertTrue(Double.isNaN(parts.get("wrong_loss_mixed_group").bias()));
    assertEquals(1, parts.get("wrong_loss").pairs());
    assertEquals(1, parts.get("correct_last").pairs());
    // Every resample that holds the located wrong trace has the same single loss segment.
    assertEquals(0.3, parts.get("wrong_loss").ci().low(), 1e-12);
    assertEquals(0.3, parts.get("wrong_loss").ci().high(), 1e-12);
    assertTrue(parts.get("correct_first").ci().definedResamples() < 200);
  }
}
