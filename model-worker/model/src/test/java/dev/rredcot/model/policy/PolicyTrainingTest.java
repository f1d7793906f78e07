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
      // Fresh rollouts: weight 1 everywhere, and the first update cannot leave the trust region.
      assertEquals(1.0, first.meanImportanceWeight(), 1e-4);
      assertEquals(0.0, first.truncatedFraction());
      assertEquals(0.0, first.clampedFraction());
      assertEquals(0.0, first.clipFraction());
      assertEquals(1, first.epochs());
    }
  }

  @Test
  void batchRmsScaleTrainsOnAdvantagesOfRootMeanSquareOne() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = fixedBatch(policy, 3f);
      // At the behaviour policy the loss is -mean A: -3 as given, -1 once the batch has RMS 1.
      TrainStepResult asGiven =
          policy.trainStep(batch, PolicyUpdateOptions.builder().optLearningRate(1e-9).build());
      assertEquals(-3.0, asGiven.loss(), 1e-3);
      TrainStepResult scaled =
          policy.trainStep(
              batch,
              PolicyUpdateOptions.builder()
                  .optLearningRate(1e-9)
                  .optAdvantageScale(AdvantageScale.BATCH_RMS)
                  .build());
      assertEquals(-1.0, scaled.loss(), 1e-3);
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

  /**
   * The batch with every behaviour log-prob lowered by {@code shift}: sampled by an older policy.
   */
  private static List<TrainExample> shifted(List<TrainExample> batch, float shift) {
    List<TrainExample> out = new ArrayList<>();
    for (TrainExample e : batch) {
      float[] behaviour = e.behaviourLogProbs().clone();
      for (int i = 0; i < behaviour.length; i++) {
        behaviour[i] -= shift;
      }
      out.add(new TrainExample(e.prompt(), e.traceTokens(), e.advantages(), behaviour));
    }
    return out;
  }

  @Test
  void aStaleBatchIsImportanceWeightedNotClippedAroundItsBehaviourPolicy() {
    // The policy now gives every token e times the probability the sampler gave it. Clipping
    // around the behaviour policy would cut every token (ratio e > 1.2) and learn nothing; the
    // decoupled objective weighs each token by e and clips around the policy before the step.
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> batch = shifted(fixedBatch(policy, 1f), 1f);
      double before = meanLogProb(policy, batch);
      TrainStepResult result =
          policy.trainStep(batch, PolicyUpdateOptions.builder().optLearningRate(3e-3).build());
      assertEquals(0.0, result.clipFraction());
      assertEquals(Math.E, result.meanImportanceWeight(), 1e-3);
      assertEquals(0.0, result.truncatedFraction());
      assertEquals(-Math.E, result.loss(), 1e-3, "loss = -mean(w A) at the proximal policy");
      assertTrue(meanLogProb(policy, batch) > before, "the stale batch still teaches");
    }
  }

  @Test
  void importanceWeightsAreTruncatedAtTheCap() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      // Ratio e^3 ≈ 20 to the behaviour policy, cut at 5.
      List<TrainExample> batch = shifted(fixedBatch(policy, 1f), 3f);
      TrainStepResult result =
          policy.trainStep(batch, PolicyUpdateOptions.builder().optMaxImportanceWeight(5).build());
      assertEquals(1.0, result.truncatedFraction());
      assertEquals(5.0, result.meanImportanceWeight(), 1e-6);
      assertEquals(-5.0, result.loss(), 1e-4);
      assertEquals(0.0, result.clampedFraction(), "log-ratio 3 is inside the bound");
    }
  }

  @Test
  void extremeBehaviourLogProbsNeitherOverflowNorStopTraining() {
    // A group whose wrong member claims -200 on every token: within the trainer's contract
    // (log-probs >= -1000), and exp(logp + 200) overflows a float, which made the loss infinite
    // and the weights NaN before the log-ratio was clamped.
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      List<TrainExample> group = new ArrayList<>();
      String prompt = "Q: 3+4\n";
      int[] right = TOKENIZER.encode("3+4=7\nA: 7\n");
      int[] wrong = TOKENIZER.encode("3+4=8\nA: 8\n");
      float[] rightBehaviour =
          policy.score(List.of(new ScoreRequest(prompt, right))).get(0).logProbs();
      float[] wrongBehaviour = new float[wrong.length];
      Arrays.fill(wrongBehaviour, -200f);
      float[] plus = new float[right.length];
      Arrays.fill(plus, 1f);
      float[] minus = new float[wrong.length];
      Arrays.fill(minus, -1f);
      group.add(new TrainExample(prompt, right, plus, rightBehaviour));
      group.add(new TrainExample(prompt, wrong, minus, wrongBehaviour));
      PolicyUpdateOptions options = PolicyUpdateOptions.builder().optLearningRate(3e-3).build();
      for (int step = 0; step < 5; step++) {
        TrainStepResult result = policy.trainStep(group, options);
        assertTrue(Double.isFinite(result.loss()), "loss " + result.loss());
        assertTrue(Double.isFinite(result.gradNorm()), "gradient norm " + result.gradNorm());
        double wrongShare = (double) wrong.length / result.tokens();
        assertEquals(wrongShare, result.clampedFraction(), 1e-9, "the wrong member is clamped");
        assertTrue(result.truncatedFraction() >= wrongShare - 1e-9, "the wrong member is cut");
        assertTrue(PolicyFaults.allWeightsFinite(policy), "weights after step " + step);
      }
      // Training goes on: a fresh batch still moves the policy the way its advantages say.
      List<TrainExample> fresh = fixedBatch(policy, 1f);
      double before = meanLogProb(policy, fresh);
      policy.trainStep(fresh, options);
      assertTrue(meanLogProb(policy, fresh) > before);
      assertTrue(PolicyFaults.allWeightsFinite(policy));
    }
  }

  @Test
  void laterEpochsAreClippedAroundThePolicyBeforeTheStep() {
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3);
        Policy twin = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      PolicyUpdateOptions.Builder options = PolicyUpdateOptions.builder().optLearningRate(3e-2);
      TrainStepResult one = twin.trainStep(fixedBatch(twin, 1f), options.build());
      TrainStepResult four =
          policy.trainStep(fixedBatch(policy, 1f), options.optEpochsPerBatch(4).build());
      assertEquals(0.0, one.clipFraction(), "the first update starts at the proximal policy");
      assertEquals(4, four.epochs());
      assertTrue(four.clipFraction() > 0, "clip fraction " + four.clipFraction());
      assertEquals(one.loss(), four.loss(), 1e-6, "the loss is the first epoch's");
    }
  }

  @Test
  void aStepWithANonFiniteGradientIsRefusedAndChangesNothing() {
    // Two identical policies whose position embeddings from 20 on are NaN: a trace that reaches
    // position 20 has a NaN loss and gradient; shorter ones train.
    try (Policy policy = Policy.create(tinyConfig(), TOKENIZER, 3);
        Policy twin = Policy.create(tinyConfig(), TOKENIZER, 3)) {
      PolicyFaults.poisonPositionsFrom(policy, 20);
      PolicyFaults.poisonPositionsFrom(twin, 20);
      String longPrompt = "Q: 1+2+3+4+5+6\n";
      int[] longTrace = TOKENIZER.encode("1+2=3\n3+3=6\n6+4=10\nA: 10\n");
      float[] advantages = new float[longTrace.length];
      Arrays.fill(advantages, 1f);
      float[] behaviour = new float[longTrace.length];
      Arrays.fill(behaviour, -3f);
      List<TrainExample> reachesThePoison =
          List.of(new TrainExample(longPrompt, longTrace, advantages, behaviour));
      List<TrainExample> shortBatch = fixedBatch(policy, 1f);
      float[] scoresBefore = scores(policy, shortBatch);
      PolicyUpdateOptions options = PolicyUpdateOptions.builder().optLearningRate(3e-3).build();
      NonFiniteStepException refused =
          assertThrows(
              NonFiniteStepException.class, () -> policy.trainStep(reachesThePoison, options));
      assertEquals("non-finite-gradient", refused.reasonLabel());
      // The message names where the gradient stopped being finite: the poisoned rows' parameter.
      assertTrue(
          refused.getMessage().contains("pos_emb ("),
          "names the parameter: " + refused.getMessage());
      assertArrayEquals(scoresBefore, scores(policy, shortBatch), 0f, "no weight moved");
      // Nor did Adam's state: the next step is the twin's first step, exactly.
      TrainStepResult next = policy.trainStep(shortBatch, options);
      twin.trainStep(fixedBatch(twin, 1f), options);
      assertTrue(Double.isFinite(next.loss()));
      assertArrayEquals(scores(twin, shortBatch), scores(policy, shortBatch), 0f);
    }
  }

  private static float[] scores(Policy policy, List<TrainExample> batch) {
    List<Float> out = new ArrayList<>();
    for (TrainExample e : batch) {
      for (float lp :
          policy.score(List.of(new ScoreRequest(e.prompt(), e.traceTokens()))).get(0).logProbs()) {
        out.add(lp);
      }
    }
    float[] values = new float[out.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = out.get(i);
    }
    return values;
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
