package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's core with BabyLlama as the policy: a store seeded with the model as version 0 (what
 * {@code trainer --model DIR} writes), two credited groups of the babyllama-continue family, one
 * step, and a version 1 that loads back as the trained Llama and resumes a restarted trainer.
 */
class LlamaTrainerCoreTest {

  private static final String[][] GROUPS = {
    // prompt, then traces: the first two answer the family's reference, the others do not.
    {"Lily was hungry. She said, ", "\"Let's ", "\"Let's ", "\"Okay, ", "\"Today, "},
    {"Tom saw his friend Sam. He waved and said, ", "\"Let's ", "\"Let's ", "\"Hi ", "\"Hello, "}
  };

  @TempDir Path dir;

  private static TrainerOptions options() {
    return TrainerOptions.builder()
        .optBatchGroups(GROUPS.length)
        .optTrainOptions(PolicyUpdateOptions.builder().optLearningRate(1e-5).build())
        .build();
  }

  /**
   * One GRPO group per prompt sampled by version 0: reward 1 for the reference answer, advantages
   * (r - mean) / std on every token, behaviour log-probs the model's own.
   */
  private static List<CreditedRollout> credited(TrainablePolicy policy) {
    List<CreditedRollout> out = new ArrayList<>();
    for (int g = 0; g < GROUPS.length; g++) {
      String prompt = GROUPS[g][0];
      String groupId = "continue-" + g + "#0";
      int size = GROUPS[g].length - 1;
      for (int i = 0; i < size; i++) {
        String text = GROUPS[g][i + 1];
        int[] tokens = policy.tokenizer().encode(text);
        float[] behaviour = policy.logProbs(List.of(new ScoreRequest(prompt, tokens))).get(0);
        double reward = i < 2 ? 1.0 : 0.0;
        // Two of four correct: mean 0.5, standard deviation 0.5.
        float advantage = (float) ((reward - 0.5) / 0.5);
        List<Integer> ids = new ArrayList<>();
        List<Float> logProbs = new ArrayList<>();
        List<Float> advantages = new ArrayList<>();
        for (int t = 0; t < tokens.length; t++) {
          ids.add(tokens[t]);
          logProbs.add(behaviour[t]);
          advantages.add(advantage);
        }
        out.add(
            CreditedRollout.newBuilder()
                .setRolloutId(groupId + "/" + i)
                .setPromptId("continue-" + g)
                .setGroupId(groupId)
                .setSampleIndex(i)
                .setGroupSize(size)
                .setGroupCount(size)
                .setGroupComplete(true)
                .setPolicyVersion(policy.version())
                .setScoringPolicyVersion(null)
                .setPromptText(prompt)
                .setTokenIds(ids)
                .setText(text)
                .setLogProbs(logProbs)
                .setReward(reward)
                .setCreditMethod("grpo")
                .setValueEstimator("none")
                .setSegmentation("single")
                .setSegmentBoundaries(List.of(0, tokens.length))
                .setBoundaryValues(List.of(0.5, reward))
                .setSegmentRewards(List.of(reward - 0.5))
                .setTokenAdvantages(advantages)
                .setGroupMean(0.5)
                .setGroupStd(0.5)
                .setCreatedAtMs(Instant.ofEpochMilli(1_000))
                .setCreditedAtMs(Instant.ofEpochMilli(2_000))
                .build());
      }
    }
    return out;
  }

  private static float[] logProbs(TrainablePolicy policy, String prompt, String trace) {
    int[] tokens = policy.tokenizer().encode(trace);
    return policy.logProbs(List.of(new ScoreRequest(prompt, tokens))).get(0);
  }

  private static double sum(float[] values) {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }

  @Test
  void trainsTheLlamaAndWritesAVersionThatLoadsAndResumes() throws IOException {
    CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 4);
    try (LlamaCausalLm seed = LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama())) {
      seed.save(store, 0, null, Map.of());
    }
    String prompt = GROUPS[0][0];
    String correct = GROUPS[0][1];
    float[] trained;
    try (TrainerCore core = TrainerCore.open(store, dir.resolve("progress"), options())) {
      assertInstanceOf(LlamaPolicy.class, core.policy());
      assertEquals(0, core.policy().version());
      double before = sum(logProbs(core.policy(), prompt, correct));
      List<TrainedStep> steps = new ArrayList<>();
      long offset = 0;
      for (CreditedRollout record : credited(core.policy())) {
        TrainerCore.OfferResult result = core.offer(record, 0, offset++);
        assertEquals(TrainerCore.Disposition.ACCEPTED, result.disposition(), result.reason());
        steps.addAll(result.steps());
      }
      assertEquals(1, steps.size(), "two complete groups make one batch");
      assertEquals(1, core.latestCheckpoint().version());
      assertEquals(List.of(0L, 1L), store.versions());
      trained = logProbs(core.policy(), prompt, correct);
      assertTrue(
          sum(trained) > before,
          "log p(correct answer) " + before + " -> " + sum(trained) + " after a positive step");
    }
    try (TrainablePolicy loaded = PolicyCheckpoints.load(store.load(1))) {
      assertInstanceOf(LlamaPolicy.class, loaded);
      assertEquals(1, loaded.version());
      assertArrayEquals(trained, logProbs(loaded, prompt, correct), 0f);
    }
    try (TrainerCore resumed = TrainerCore.open(store, dir.resolve("progress"), options())) {
      assertInstanceOf(LlamaPolicy.class, resumed.policy());
      assertEquals(1, resumed.policy().version());
      assertArrayEquals(trained, logProbs(resumed.policy(), prompt, correct), 0f);
    }
  }
}
