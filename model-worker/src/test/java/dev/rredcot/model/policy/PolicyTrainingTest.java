package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.pretrain.PretrainResult;
import dev.rredcot.model.pretrain.Pretrainer;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training steps, the warm-up and checkpoints of the policy. */
class PolicyTrainingTest {

  private static final Tokenizer TOKENIZER = CharTokenizer.arithmetic();

  private static ModelConfig tinyConfig() {
    return ModelConfig.builder()
        .setVocabSize(TOKENIZER.vocabSize())
        .optDModel(32)
        .optHeads(2)
        .optLayers(2)
        .optDFF(64)
        .optMaxContext(64)
        .build();
  }

  private static List<TrainExample> fixedBatch(Policy policy, float advantage) {
    List<TrainExample> batch = new ArrayList<>();
    for (String[] pt :
        new String[][] {
          {"Q: 3+4\n", "3+4=7\nA: 7\n"}, {"Q: 9-2\n", "9-2=7\nA: 7\n"}, {"Q: 5+5\n", "5+5=10\n"}
        }) {
      int[] trace = TOKENIZER.encode(pt[1]);
      float[] behaviour = policy.score(List.of(new ScoreRequest(pt[0], trace))).get(0).logProbs();
      float[] advantages = new float[trace.length];
      Arrays.fill(advantages, advantage);
      batch.add(new TrainExample(pt[0], trace, advantages, behaviour));
    }
    return batch;
  }

  private static double meanLogProb(Policy policy, List<TrainExample> batch) {
    double sum = 0;
    long n = 0;
    for (TrainExample e : batch) {
      for (float lp :
          policy.score(List.of(new ScoreRequest(e.prompt(), e.traceTokens()))).get(0).logProbs()) {
        sum += lp;
        n++;
      }
    }
    return sum / n;
  }

  @Test
  void trainStepsWithPositiveAdvantageLowerTheLossOnAFixedBatch() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = fixedBatch(policy, 1f);
      double before = meanLogProb(policy, batch);
      PolicyUpdateOptions options = PolicyUpdateOptions.builder().optLearningRate(3e-3).build();
      TrainStepResult first = policy.trainStep(batch, options);
      TrainStepResult last = first;
      for (int i = 0; i < 10; i++) {
        last = policy.trainStep(batch, options);
      }
      assertTrue(last.loss() < first.loss(), first.loss() + " -> " + last.loss());
      assertTrue(meanLogProb(policy, batch) > before, "positive advantage raises log-probs");
      assertEquals(batch.stream().mapToLong(e -> e.traceTokens().length).sum(), first.tokens());
      assertEquals(-1.0, first.loss(), 1e-4, "ratio 1 at the behaviour policy: loss = -mean A");
      assertTrue(first.gradNorm() > 0);
    }
  }

  @Test
  void noCallLeavesTensorsBehindInTheModelsManager() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = fixedBatch(policy, 1f);
      // The first step creates the Adam moments; afterwards nothing may accumulate.
      policy.trainStep(batch, PolicyUpdateOptions.builder().build());
      int baseline = policy.network().parameterManager().getManagedArrays().size();
      assertTrue(baseline >= 3 * policy.network().parameters().size(), "weights + 2 moments");
      int[] trace = TOKENIZER.encode("3+4=7\nA: 7\n");
      ValueRequest value = new ValueRequest("Q: 3+4\n", trace, new int[] {0, 6}, "A: ", "7\n");
      for (int i = 0; i < 3; i++) {
        policy.trainStep(batch, PolicyUpdateOptions.builder().build());
        policy.supervisedStep(List.of(new SupervisedExample("Q: 3+4\n", trace)), 1e-3, 1.0);
        // Two identical requests: the shared prefill's copied cache rows must be freed too.
        policy.generate(
            List.of(GenerationRequest.of("Q: 1+2\n"), GenerationRequest.of("Q: 1+2\n")),
            GenerationOptions.builder().optMaxTokens(8).build());
        policy.generate(
            List.of(GenerationRequest.of("Q: 1+2\n")),
            GenerationOptions.builder().optMaxTokens(8).optUseKvCache(false).build());
        policy.answerValues(List.of(value), true);
        policy.answerValues(List.of(value), false);
        policy.bankValues(
            List.of(
                new BankRequest(
                    "Q: 3+4\n",
                    trace,
                    new int[] {0},
                    List.of(List.of("3+4=7\n")),
                    "A: ",
                    "7\n",
                    BankAggregation.SUM)),
            true);
        policy.gradientTimesInput(List.of(value));
      }
      assertEquals(baseline, policy.network().parameterManager().getManagedArrays().size());
    }
  }

  @Test
  void klPenaltyIsZeroAgainstAnIdenticalReferenceAndPositiveAfterDrift() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3);
        Policy reference = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = fixedBatch(policy, 1f);
      PolicyUpdateOptions options =
          PolicyUpdateOptions.builder().optLearningRate(3e-3).optKlPenalty(0.1, reference).build();
      TrainStepResult first = policy.trainStep(batch, options);
      assertEquals(0.0, first.kl(), 1e-6);
      TrainStepResult later = first;
      for (int i = 0; i < 5; i++) {
        later = policy.trainStep(batch, options);
      }
      assertTrue(later.kl() > 0, "kl " + later.kl());
    }
  }

  @Test
  void ratiosFarFromTheBehaviourPolicyAreCounted() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = new ArrayList<>();
      for (TrainExample e : fixedBatch(policy, 1f)) {
        float[] shifted = e.behaviourLogProbs().clone();
        for (int i = 0; i < shifted.length; i++) {
          shifted[i] -= 1f; // ratio e^1 > 1 + eps with positive advantage: clipped
        }
        batch.add(new TrainExample(e.prompt(), e.traceTokens(), e.advantages(), shifted));
      }
      TrainStepResult result = policy.trainStep(batch, PolicyUpdateOptions.builder().build());
      assertEquals(1.0, result.clipFraction(), 1e-9);
    }
  }

  @Test
  @Tag("slow")
  void aTinyModelTrainedForSecondsBeatsChanceOnOneStepSums() throws IOException {
    // One addition of operands 1..4: 7 possible sums, so guessing a well-formed answer is right
    // about 1 time in 7; an untrained model rarely even writes a well-formed answer line.
    ArithmeticTask.Config easy =
        ArithmeticTask.Config.builder().optSteps(1).optOperandRange(1, 4).optOperators("+").build();
    PretrainResult result =
        Pretrainer.run(
            PretrainOptions.builder()
                .optTaskConfig(easy)
                .optEvalTaskConfig(easy)
                .optStepErrorRate(0)
                .optModelConfig(tinyConfig())
                .optSteps(300)
                .optBatchSize(32)
                .optLearningRate(3e-3)
                .optEvalProblems(64)
                .build());
    assertTrue(result.accuracy() > 0.35, "accuracy " + result.accuracy());
    assertTrue(result.finalLoss() < 1.0, "loss " + result.finalLoss());
  }

  @Test
  void saveAndLoadGiveIdenticalScores(@TempDir Path dir) throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    int[] trace = TOKENIZER.encode("3+4=7\nA: 7\n");
    List<ScoreRequest> request = List.of(new ScoreRequest("Q: 3+4\n", trace));
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 5)) {
      Checkpoint checkpoint = policy.save(store, 4, 3L, Map.of("loss", 1.5));
      assertEquals(4, policy.version());
      TraceScore original = policy.score(request).get(0);
      try (Policy loaded = Policy.load(checkpoint)) {
        assertEquals(4, loaded.version());
        assertEquals(policy.config(), loaded.config());
        assertEquals(policy.parameterCount(), loaded.parameterCount());
        TraceScore reloaded = loaded.score(request).get(0);
        assertArrayEquals(original.logProbs(), reloaded.logProbs(), 0f);
        assertArrayEquals(original.entropies(), reloaded.entropies(), 0f);
      }
    }
  }

  @Test
  void aCorruptedCheckpointIsRefused(@TempDir Path dir) throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    Checkpoint checkpoint;
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 5)) {
      checkpoint = policy.save(store, 1, null, Map.of());
    }
    Path params = checkpoint.file(Policy.PARAMS_FILE);
    byte[] bytes = Files.readAllBytes(params);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(params, bytes);
    assertThrows(CheckpointVerificationException.class, () -> Policy.load(checkpoint));
  }
}
