package dev.rredcot.model.policy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.TraceScore;
import java.util.ArrayList;
import java.util.List;

/**
 * The training losses of the policy (clipped PPO with a k3 KL penalty, and teacher-forced
 * cross-entropy), each computed with gradients and handed to the {@link PolicyOptimizer}.
 */
final class PolicyTraining {
  private final PolicyForward forward;
  private final ModelConfig config;
  private final TransformerNetwork network;
  private final PolicyOptimizer optimizer;

  PolicyTraining(PolicyForward forward, PolicyOptimizer optimizer) {
    this.forward = forward;
    this.config = forward.config;
    this.network = forward.network;
    this.optimizer = optimizer;
  }

  /**
   * The reference policy's log-probabilities of every trace when the KL penalty is on (else null
   * rows); scored before the step takes this policy's lock, since the reference is another policy.
   */
  static float[][] referenceLogProbs(List<TrainExample> batch, PolicyUpdateOptions options) {
    float[][] reference = new float[batch.size()][];
    if (options.klCoefficient() > 0) {
      List<ScoreRequest> requests = new ArrayList<>();
      for (TrainExample e : batch) {
        requests.add(new ScoreRequest(e.prompt(), e.traceTokens()));
      }
      List<TraceScore> scores = options.reference().score(requests);
      for (int b = 0; b < batch.size(); b++) {
        reference[b] = scores.get(b).logProbs();
      }
    }
    return reference;
  }

  /**
   * See {@link Policy#trainStep}; the caller holds the policy's lock and the JVM-wide gradient
   * lock.
   *
   * @param reference {@link #referenceLogProbs} of the batch
   */
  TrainStepResult ppoStep(
      List<TrainExample> batch, PolicyUpdateOptions options, float[][] reference) {
    List<int[]> seqs = new ArrayList<>();
    for (TrainExample e : batch) {
      if (e.traceTokens().length == 0) {
        throw new IllegalArgumentException("cannot train on an empty trace");
      }
      seqs.add(forward.context(e.prompt(), e.traceTokens()));
    }
    PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
    int cells = padded.rows() * padded.width;
    float[] mask = new float[cells];
    float[] advantages = new float[cells];
    float[] behaviour = new float[cells];
    float[] ref = new float[cells];
    long tokens = 0;
    for (int b = 0; b < batch.size(); b++) {
      TrainExample e = batch.get(b);
      int first = seqs.get(b).length - e.traceTokens().length;
      for (int j = 0; j < e.traceTokens().length; j++) {
        int idx = b * padded.width + padded.column(b, first + j - 1);
        mask[idx] = 1f;
        advantages[idx] = e.advantages()[j];
        behaviour[idx] = e.behaviourLogProbs()[j];
        ref[idx] = reference[b] == null ? 0f : reference[b][j];
        tokens++;
      }
    }
    try (NDManager manager = forward.newManager()) {
      Shape shape = new Shape(padded.rows(), padded.width);
      NDArray maskArray = manager.create(mask, shape);
      NDArray advantageArray = manager.create(advantages, shape);
      float[] ratios;
      double loss;
      double kl = 0;
      TorchEngine.zeroGradients(network.parameters().values());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logProbs = forward.tokenLogProbs(manager, padded);
        NDArray ratio = logProbs.sub(manager.create(behaviour, shape)).exp();
        NDArray unclipped = ratio.mul(advantageArray);
        NDArray clipped =
            ratio.clip(1 - options.clipEpsilon(), 1 + options.clipEpsilon()).mul(advantageArray);
        NDArray perToken = unclipped.minimum(clipped).neg();
        if (options.klCoefficient() > 0) {
          NDArray diff = manager.create(ref, shape).sub(logProbs);
          NDArray k3 = diff.exp().sub(diff).sub(1);
          kl = k3.mul(maskArray).sum().getFloat() / tokens;
          perToken = perToken.add(k3.mul(options.klCoefficient()));
        }
        NDArray lossArray = perToken.mul(maskArray).sum().div(tokens);
        collector.backward(lossArray);
        loss = lossArray.getFloat();
        ratios = ratio.toFloatArray();
      }
      long clippedTokens = 0;
      for (int i = 0; i < cells; i++) {
        if (mask[i] > 0
            && ((advantages[i] > 0 && ratios[i] > 1 + options.clipEpsilon())
                || (advantages[i] < 0 && ratios[i] < 1 - options.clipEpsilon()))) {
          clippedTokens++;
        }
      }
      double gradNorm = optimizer.update(options.learningRate(), options.maxGradNorm());
      return new TrainStepResult(loss, (double) clippedTokens / tokens, kl, gradNorm, tokens);
    }
  }

  /**
   * See {@link Policy#supervisedStep}; the caller holds the policy's lock and the JVM-wide gradient
   * lock.
   */
  double supervisedStep(List<SupervisedExample> batch, double learningRate, double maxGradNorm) {
    List<int[]> seqs = new ArrayList<>();
    for (SupervisedExample e : batch) {
      seqs.add(forward.context(e.prompt(), e.targetTokens()));
    }
    PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
    float[] mask = new float[padded.rows() * padded.width];
    long tokens = 0;
    for (int b = 0; b < batch.size(); b++) {
      int targets = batch.get(b).targetTokens().length;
      int first = seqs.get(b).length - targets;
      for (int j = 0; j < targets; j++) {
        mask[b * padded.width + padded.column(b, first + j - 1)] = 1f;
        tokens++;
      }
    }
    try (NDManager manager = forward.newManager()) {
      double loss;
      TorchEngine.zeroGradients(network.parameters().values());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray nll =
            forward
                .tokenLogProbs(manager, padded)
                .mul(manager.create(mask, new Shape(padded.rows(), padded.width)))
                .sum()
                .neg()
                .div(tokens);
        collector.backward(nll);
        loss = nll.getFloat();
      }
      optimizer.update(learningRate, maxGradNorm);
      return loss;
    }
  }
}
