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
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training losses of a policy (the decoupled PPO objective of {@link DecoupledPpoObjective}
 * with a k3 KL penalty, and teacher-forced cross-entropy), each computed with gradients over a
 * {@link TrainableNetwork} and handed to its {@link PolicyOptimizer}: one objective and one
 * optimiser for every model the trainer can train (the built-in {@link Policy}, the DJL Llama).
 */
public final class PolicyTraining implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyTraining.class);

  private final TrainableNetwork network;
  private final PolicyOptimizer optimizer;

  /** Training for {@code network}, with fresh Adam moments. */
  public PolicyTraining(TrainableNetwork network) {
    this.network = network;
    this.optimizer = new PolicyOptimizer(network);
  }

  /**
   * One step of the decoupled PPO objective ({@link Policy#trainStep} documents it): scales the
   * batch's advantages, scores the reference policy when the KL penalty is on, then runs the update
   * inside {@code exclusive}, which must hold the model's lock and the JVM-wide gradient lock
   * ({@link dev.rredcot.model.backend.TorchEngine#exclusiveGradients}) while it runs.
   *
   * @throws NonFiniteStepException when the first update's loss or gradient norm is not finite
   *     (nothing applied)
   */
  public TrainStepResult trainStep(
      List<TrainExample> given,
      PolicyUpdateOptions options,
      Function<Supplier<TrainStepResult>, TrainStepResult> exclusive) {
    if (given.isEmpty()) {
      throw new IllegalArgumentException("empty training batch");
    }
    List<TrainExample> batch = options.advantageScale().apply(given);
    // Before the model's lock: the reference is another policy.
    float[][] reference = referenceLogProbs(batch, options);
    return exclusive.apply(() -> ppoStep(batch, options, reference));
  }

  /**
   * The reference policy's log-probabilities of every trace when the KL penalty is on (else null
   * rows); scored before the step takes this policy's lock, since the reference is another policy.
   */
  private static float[][] referenceLogProbs(
      List<TrainExample> batch, PolicyUpdateOptions options) {
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
   * @throws NonFiniteStepException when the first update's loss or gradient norm is not finite
   *     (nothing applied)
   */
  private TrainStepResult ppoStep(
      List<TrainExample> batch, PolicyUpdateOptions options, float[][] reference) {
    List<int[]> seqs = new ArrayList<>();
    for (TrainExample e : batch) {
      if (e.traceTokens().length == 0) {
        throw new IllegalArgumentException("cannot train on an empty trace");
      }
      seqs.add(network.context(e.prompt(), e.traceTokens()));
    }
    PaddedBatch padded = new PaddedBatch(seqs, network.maxContext());
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
    Shape shape = new Shape(padded.rows(), padded.width);
    // The proximal policy is this policy before the step. Its log-probs are the first epoch's
    // forward pass, detached: the same numbers a separate no-gradient pass would give, without
    // paying for that pass. Later epochs clip around them, not around their own start.
    float[] proximal = null;
    float[] weights = new float[cells];
    double loss = Double.NaN;
    double kl = 0;
    double largestGradNorm = 0;
    long clippedTokens = 0;
    long truncatedTokens = 0;
    long clampedTokens = 0;
    double weightSum = 0;
    int epochsRun = 0;
    for (int epoch = 0; epoch < options.epochsPerBatch(); epoch++) {
      EpochResult result;
      try {
        result =
            epoch(
                padded,
                shape,
                options,
                mask,
                advantages,
                behaviour,
                ref,
                tokens,
                proximal,
                weights);
      } catch (NonFiniteStepException e) {
        if (epoch == 0) {
          throw e;
        }
        // Earlier epochs already moved finite weights; keep them and stop here.
        LOG.warn("epoch {} of {} skipped: {}", epoch + 1, options.epochsPerBatch(), e.getMessage());
        break;
      }
      if (epoch == 0) {
        proximal = result.logProbs();
        loss = result.loss();
        kl = result.kl();
        for (int i = 0; i < cells; i++) {
          if (mask[i] > 0) {
            weightSum += weights[i];
            if (DecoupledPpoObjective.weightTruncated(proximal[i], behaviour[i], options)) {
              truncatedTokens++;
            }
            if (DecoupledPpoObjective.logRatioClamped(proximal[i], behaviour[i], options)) {
              clampedTokens++;
            }
          }
        }
      }
      for (int i = 0; i < cells; i++) {
        if (mask[i] > 0
            && DecoupledPpoObjective.clipped(result.ratios()[i], advantages[i], options)) {
          clippedTokens++;
        }
      }
      largestGradNorm = Math.max(largestGradNorm, result.gradNorm());
      epochsRun++;
    }
    return new TrainStepResult(
        loss,
        (double) clippedTokens / (tokens * epochsRun),
        kl,
        largestGradNorm,
        tokens,
        weightSum / tokens,
        (double) truncatedTokens / tokens,
        (double) clampedTokens / tokens,
        epochsRun);
  }

  /**
   * One forward, backward and optimiser update of the decoupled objective. In the first epoch
   * ({@code proximal} null) the proximal log-probs are this forward's, detached, and {@code
   * weights} (the behaviour weights) are filled in from them.
   */
  private EpochResult epoch(
      PaddedBatch padded,
      Shape shape,
      PolicyUpdateOptions options,
      float[] mask,
      float[] advantages,
      float[] behaviour,
      float[] ref,
      long tokens,
      float[] proximal,
      float[] weights) {
    try (NDManager manager = network.parameterManager().newSubManager()) {
      NDArray maskArray = manager.create(mask, shape);
      NDArray advantageArray = manager.create(advantages, shape);
      float[] logProbValues;
      float[] ratios;
      double loss;
      double kl = 0;
      TorchEngine.zeroGradients(network.parameters().values());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logProbs = tokenLogProbs(manager, padded);
        NDArray proximalArray;
        if (proximal == null) {
          proximalArray = logProbs.stopGradient();
          logProbValues = proximalArray.toFloatArray();
          for (int i = 0; i < weights.length; i++) {
            weights[i] =
                mask[i] > 0
                    ? DecoupledPpoObjective.behaviourWeight(logProbValues[i], behaviour[i], options)
                    : 0f;
          }
        } else {
          proximalArray = manager.create(proximal, shape);
          logProbValues = null;
        }
        NDArray ratio = DecoupledPpoObjective.proximalRatio(logProbs, proximalArray, options);
        NDArray perToken =
            DecoupledPpoObjective.surrogateLoss(
                ratio, manager.create(weights, shape), advantageArray, options);
        if (options.klCoefficient() > 0) {
          NDArray diff = manager.create(ref, shape).sub(logProbs);
          NDArray k3 = diff.exp().sub(diff).sub(1);
          kl = k3.mul(maskArray).sum().getFloat() / tokens;
          perToken = perToken.add(k3.mul(options.klCoefficient()));
        }
        NDArray lossArray = perToken.mul(maskArray).sum().div(tokens);
        loss = lossArray.getFloat();
        collector.backward(lossArray);
        ratios = ratio.toFloatArray();
      }
      double gradNorm = optimizer.update(options.learningRate(), options.maxGradNorm(), loss);
      return new EpochResult(logProbValues, ratios, loss, kl, gradNorm);
    } finally {
      TorchEngine.zeroGradients(network.parameters().values());
    }
  }

  /**
   * What one epoch of {@link #ppoStep} measured.
   *
   * @param logProbs the detached log-probs of the first epoch (the proximal policy's), else null
   * @param ratios per-cell ratio to the proximal policy
   * @param loss objective before the update
   * @param kl mean k3 per token before the update
   * @param gradNorm raw global gradient norm
   */
  private record EpochResult(
      float[] logProbs, float[] ratios, double loss, double kl, double gradNorm) {}

  /** (B,W) log p(next token) of every column, recording gradients inside a collector. */
  private NDArray tokenLogProbs(NDManager manager, PaddedBatch padded) {
    return padded.nextTokenLogProbs(manager, network.logits(manager, padded), network.padId());
  }

  /** Frees the optimiser's moment estimates (the network belongs to its model). */
  @Override
  public void close() {
    optimizer.close();
  }

  /**
   * See {@link Policy#supervisedStep}; the caller holds the policy's lock and the JVM-wide gradient
   * lock.
   */
  double supervisedStep(List<SupervisedExample> batch, double learningRate, double maxGradNorm) {
    List<int[]> seqs = new ArrayList<>();
    for (SupervisedExample e : batch) {
      seqs.add(network.context(e.prompt(), e.targetTokens()));
    }
    PaddedBatch padded = new PaddedBatch(seqs, network.maxContext());
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
    try (NDManager manager = network.parameterManager().newSubManager()) {
      double loss;
      TorchEngine.zeroGradients(network.parameters().values());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray nll =
            tokenLogProbs(manager, padded)
                .mul(manager.create(mask, new Shape(padded.rows(), padded.width)))
                .sum()
                .neg()
                .div(tokens);
        collector.backward(nll);
        loss = nll.getFloat();
      }
      optimizer.update(learningRate, maxGradNorm, loss);
      return loss;
    }
  }
}
