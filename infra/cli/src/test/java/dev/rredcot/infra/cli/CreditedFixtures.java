package dev.rredcot.infra.cli;

import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.schemas.CreditedRollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Credited rollouts the shipped initial policy can train on, for trainer process tests. */
final class CreditedFixtures {
  private CreditedFixtures() {}

  /** Sample {@code index} of a group for {@code promptId}: even samples right (+1), odd wrong. */
  static CreditedRollout credited(String promptId, int index, int groupCount) {
    String groupId = promptId + "@v0#0";
    String text = index % 2 == 0 ? "1+2=3\nA: 3\n" : "1+2=4\nA: 4\n";
    int[] tokens = CharTokenizer.arithmetic().encode(text);
    List<Integer> tokenIds = new ArrayList<>();
    List<Float> logProbs = new ArrayList<>();
    List<Float> advantages = new ArrayList<>();
    for (int t : tokens) {
      tokenIds.add(t);
      logProbs.add(-2.0f);
      advantages.add(index % 2 == 0 ? 1f : -1f);
    }
    return CreditedRollout.newBuilder()
        .setRolloutId(groupId + "/" + index)
        .setPromptId(promptId)
        .setGroupId(groupId)
        .setSampleIndex(index)
        .setGroupSize(groupCount)
        .setGroupCount(groupCount)
        .setGroupComplete(true)
        .setPolicyVersion(0)
        .setScoringPolicyVersion(null)
        .setPromptText("Q: 1+2\n")
        .setTokenIds(tokenIds)
        .setText(text)
        .setLogProbs(logProbs)
        .setReward(index % 2 == 0 ? 1.0 : 0.0)
        .setCreditMethod("grpo")
        .setValueEstimator("none")
        .setSegmentation("single")
        .setSegmentBoundaries(List.of(0, tokens.length))
        .setBoundaryValues(List.of(0.5, index % 2 == 0 ? 1.0 : 0.0))
        .setSegmentRewards(List.of(index % 2 == 0 ? 0.5 : -0.5))
        .setTokenAdvantages(advantages)
        .setGroupMean(0.5)
        .setGroupStd(0.5)
        .setCreatedAtMs(Instant.ofEpochMilli(1_000))
        .setCreditedAtMs(Instant.ofEpochMilli(2_000))
        .build();
  }
}
