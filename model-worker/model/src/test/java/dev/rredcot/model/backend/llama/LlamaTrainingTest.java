package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.model.testing.RepositoryFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The DJL Llama as a trained policy, on the committed BabyLlama weights: the built-in policy's
 * decoupled PPO step moves a trace's log-probability the way its advantages say, and the tied
 * output projection stays the token embedding.
 */
class LlamaTrainingTest {

  private static final String PROMPT = "Lily was hungry. She said, ";
  private static final String TRACE = "\"Let's ";
  private static final String OTHER_TRACE = "\"Okay, ";
  private static final int STEPS = 3;

  // A pretrained model moves fast: at 1e-5 three Adam steps took log p(trace) from -1.85 to -0.61
  // (advantage +1) and to -10.3 (advantage -1); at 5e-4 both directions wrecked it.
  private static final double LEARNING_RATE = 1e-5;

  static PolicyUpdateOptions options() {
    return PolicyUpdateOptions.builder().optLearningRate(LEARNING_RATE).optMaxGradNorm(1.0).build();
  }

  /** The summed log-probability of {@code trace} after {@code prompt} under {@code lm}. */
  static double traceLogProb(LlamaCausalLm lm, String prompt, int[] trace) {
    double sum = 0;
    for (float lp : lm.logProbs(List.of(new ScoreRequest(prompt, trace))).get(0)) {
      sum += lp;
    }
    return sum;
  }

  /**
   * The trace {@link #TRACE} with {@code advantage} on every token, beside another trace of the
   * same prompt with advantage 0; behaviour log-probs are the model's own (on-policy).
   */
  static List<TrainExample> fixedBatch(LlamaCausalLm lm, float advantage) {
    List<TrainExample> batch = new ArrayList<>();
    for (String text : new String[] {TRACE, OTHER_TRACE}) {
      int[] trace = lm.tokenizer().encode(text);
      float[] advantages = new float[trace.length];
      Arrays.fill(advantages, text.equals(TRACE) ? advantage : 0f);
      float[] behaviour = lm.logProbs(List.of(new ScoreRequest(PROMPT, trace))).get(0);
      batch.add(new TrainExample(PROMPT, trace, advantages, behaviour));
    }
    return batch;
  }

  /** The trace's log-probability after {@link #STEPS} steps with {@code advantage}, and before. */
  private static double[] trainedLogProb(float advantage) throws IOException {
    try (LlamaPolicy policy =
        new LlamaPolicy(LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama()))) {
      LlamaCausalLm lm = policy.model();
      int[] trace = lm.tokenizer().encode(TRACE);
      double before = traceLogProb(lm, PROMPT, trace);
      List<TrainExample> batch = fixedBatch(lm, advantage);
      for (int step = 0; step < STEPS; step++) {
        TrainStepResult result = policy.trainStep(batch, options());
        assertTrue(Double.isFinite(result.loss()), "loss " + result.loss());
        assertTrue(result.gradNorm() > 0, "a step with a non-zero advantage has a gradient");
      }
      return new double[] {before, traceLogProb(lm, PROMPT, trace)};
    }
  }

  @Test
  void asAPolicyItDeclaresTrainingBesideTheModelsOwnCapabilities() throws IOException {
    try (LlamaPolicy policy =
        new LlamaPolicy(LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama()))) {
      assertFalse(policy.model().supports(BackendCapability.TRAINING));
      assertTrue(policy.supports(BackendCapability.TRAINING));
      assertTrue(policy.capabilities().containsAll(policy.model().capabilities()));
    }
  }

  @Test
  void positiveAdvantagesRaiseTheTraceLogProb() throws IOException {
    double[] beforeAfter = trainedLogProb(1f);
    assertTrue(
        beforeAfter[1] > beforeAfter[0] + 0.3,
        "log p(trace) " + beforeAfter[0] + " -> " + beforeAfter[1] + " with advantage +1");
  }

  @Test
  void negativeAdvantagesLowerTheTraceLogProb() throws IOException {
    double[] beforeAfter = trainedLogProb(-1f);
    assertTrue(
        beforeAfter[1] < beforeAfter[0] - 0.3,
        "log p(trace) " + beforeAfter[0] + " -> " + beforeAfter[1] + " with advantage -1");
  }

  // A token that is no input of the batch reaches the loss only through the output projection: its
  // embedding row moves only if the output is the embedding itself, not a copy of it.
  @Test
  void tiedOutputStaysTheEmbedding() throws IOException {
    try (LlamaPolicy policy =
        new LlamaPolicy(LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama()))) {
      LlamaCausalLm lm = policy.model();
      assertTrue(lm.config().tiedOutput(), "BabyLlama ties its output to the embedding");
      List<TrainExample> batch = fixedBatch(lm, 1f);
      int unseen = tokenNotIn(lm, batch);
      float[] before = embeddingRow(lm.checkpoint(), unseen);
      policy.trainStep(batch, options());
      LlamaCheckpoint after = lm.checkpoint();
      assertFalse(
          after.tensors().containsKey(LlamaCheckpoint.OUTPUT),
          "a tied model has no separate output weight to drift apart");
      float[] moved = embeddingRow(after, unseen);
      double change = 0;
      for (int i = 0; i < moved.length; i++) {
        change = Math.max(change, Math.abs(moved[i] - before[i]));
      }
      // Adam's first step moves every coordinate with a gradient by about the learning rate; a copy
      // of the embedding as output would leave this row exactly where it was.
      assertTrue(
          change > LEARNING_RATE / 2,
          "embedding row of token " + unseen + " (no input of the batch) moved by " + change);
    }
  }

  private static int tokenNotIn(LlamaCausalLm lm, List<TrainExample> batch) {
    boolean[] used = new boolean[lm.config().vocabSize()];
    used[lm.tokenizer().bosId()] = true;
    used[lm.tokenizer().padId()] = true;
    for (TrainExample e : batch) {
      for (int id : lm.tokenizer().encode(e.prompt())) {
        used[id] = true;
      }
      for (int id : e.traceTokens()) {
        used[id] = true;
      }
    }
    for (int id = 0; id < used.length; id++) {
      if (!used[id]) {
        return id;
      }
    }
    throw new IllegalStateException("every token is in the batch");
  }

  private static float[] embeddingRow(LlamaCheckpoint checkpoint, int id) {
    HostTensor embedding = checkpoint.tensors().get(LlamaCheckpoint.EMBEDDING);
    int dim = (int) embedding.shape()[1];
    return Arrays.copyOfRange(embedding.values(), id * dim, (id + 1) * dim);
  }

  @Test
  void trainingLeavesScoringWithoutAutogradAndEqualToAFreshPass() throws IOException {
    try (LlamaPolicy policy =
        new LlamaPolicy(LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama()))) {
      LlamaCausalLm lm = policy.model();
      policy.trainStep(fixedBatch(lm, 1f), options());
      int[] trace = lm.tokenizer().encode(TRACE);
      double first = traceLogProb(lm, PROMPT, trace);
      assertEquals(first, traceLogProb(lm, PROMPT, trace), 0.0, "scoring is deterministic");
      int arrays = lm.liveArrays();
      traceLogProb(lm, PROMPT, trace);
      assertEquals(arrays, lm.liveArrays(), "a scoring call after training leaves no array behind");
    }
  }
}
