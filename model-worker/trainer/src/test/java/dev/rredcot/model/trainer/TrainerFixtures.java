package dev.rredcot.model.trainer;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Small policies and credited rollouts for trainer tests. */
final class TrainerFixtures {

  static final CharTokenizer TOKENIZER = CharTokenizer.arithmetic();

  private TrainerFixtures() {}

  /** Writes a tiny freshly initialised policy as version 0 of {@code store}. */
  static void writeInitialPolicy(CheckpointStore store) throws IOException {
    writeInitialPolicy(store, policy -> {});
  }

  /**
   * Writes a tiny freshly initialised policy as version 0 of {@code store}, after {@code fault}
   * (e.g. {@link dev.rredcot.model.policy.PolicyFaults}) changed its weights.
   */
  static void writeInitialPolicy(CheckpointStore store, Consumer<Policy> fault) throws IOException {
    try (Policy policy = Policy.create(tinyConfig(TOKENIZER.vocabSize()), TOKENIZER, 5)) {
      fault.accept(policy);
      policy.save(store, 0, null, Map.of());
    }
  }

  /** The tiny transformer of these tests, for a vocabulary of {@code vocabSize} ids. */
  static ModelConfig tinyConfig(int vocabSize) {
    return ModelConfig.builder()
        .setVocabSize(vocabSize)
        .optDModel(16)
        .optHeads(2)
        .optLayers(1)
        .optDFF(32)
        .optMaxContext(96)
        .build();
  }

  /**
   * Sample {@code index} of a GRPO group of {@code groupCount} for {@code prompt} at {@code
   * version}; even samples are correct (advantage +1), odd ones wrong (-1).
   */
  static CreditedRollout rollout(String promptId, long version, int index, int groupCount) {
    return rollout(promptId, version, index, groupCount, index % 2 == 0 ? 1f : -1f);
  }

  static CreditedRollout rollout(
      String promptId, long version, int index, int groupCount, float advantage) {
    String groupId = promptId + "@v" + version + "#0";
    String text = index % 2 == 0 ? "1+2=3\nA: 3\n" : "1+2=4\nA: 4\n";
    int[] tokens = TOKENIZER.encode(text);
    List<Integer> tokenIds = new ArrayList<>();
    List<Float> logProbs = new ArrayList<>();
    List<Float> advantages = new ArrayList<>();
    for (int t : tokens) {
      tokenIds.add(t);
      logProbs.add(-3.0f);
      advantages.add(advantage);
    }
    return CreditedRollout.newBuilder()
        .setRolloutId(groupId + "/" + index)
        .setPromptId(promptId)
        .setGroupId(groupId)
        .setSampleIndex(index)
        .setGroupSize(groupCount)
        .setGroupCount(groupCount)
        .setGroupComplete(true)
        .setPolicyVersion(version)
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

  /** All {@code groupCount} samples of one group, in sample order. */
  static List<CreditedRollout> group(String promptId, long version, int groupCount) {
    List<CreditedRollout> out = new ArrayList<>();
    for (int i = 0; i < groupCount; i++) {
      out.add(rollout(promptId, version, i, groupCount));
    }
    return out;
  }
}
