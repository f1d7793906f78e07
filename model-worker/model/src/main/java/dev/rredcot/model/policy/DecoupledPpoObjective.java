package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;

/**
 * The per-token terms of the decoupled PPO objective (docs/METHOD.md, "5. The trainer's
 * objective"): the importance weight is taken against the behaviour policy μ that sampled the
 * rollout and truncated, the trust region (clipping) is taken around the proximal policy π_prox,
 * the policy as it was before the step. Every log-ratio is clamped before it is exponentiated, so
 * no input that passes the trainer's contract can overflow a ratio.
 */
final class DecoupledPpoObjective {

  private DecoupledPpoObjective() {}

  /**
   * The truncated behaviour weight {@code min(exp(clamp(proximal - behaviour, ±L)), cap)}: a
   * constant of the step (no gradient flows through it).
   */
  static float behaviourWeight(
      float proximalLogProb, float behaviourLogProb, PolicyUpdateOptions options) {
    double logRatio = clamp(proximalLogProb - (double) behaviourLogProb, options.maxAbsLogRatio());
    return (float) Math.min(Math.exp(logRatio), options.maxImportanceWeight());
  }

  /** Whether {@link #behaviourWeight} clamped the log-ratio of this token. */
  static boolean logRatioClamped(
      float proximalLogProb, float behaviourLogProb, PolicyUpdateOptions options) {
    return Math.abs(proximalLogProb - (double) behaviourLogProb) > options.maxAbsLogRatio();
  }

  /** Whether {@link #behaviourWeight} was cut at the cap for this token. */
  static boolean weightTruncated(
      float proximalLogProb, float behaviourLogProb, PolicyUpdateOptions options) {
    double logRatio = clamp(proximalLogProb - (double) behaviourLogProb, options.maxAbsLogRatio());
    return Math.exp(logRatio) > options.maxImportanceWeight();
  }

  /**
   * The ratio {@code exp(clamp(logProbs - proximal, ±L))} of the current policy to the proximal
   * one, with gradient through {@code logProbs}.
   */
  static NDArray proximalRatio(NDArray logProbs, NDArray proximal, PolicyUpdateOptions options) {
    double bound = options.maxAbsLogRatio();
    return logProbs.sub(proximal).clip(-bound, bound).exp();
  }

  /**
   * The per-token loss {@code -w · min(r A, clip(r, 1-ε, 1+ε) A)} for {@code r} from {@link
   * #proximalRatio} and {@code w} from {@link #behaviourWeight} (unmasked; the caller masks and
   * averages).
   */
  static NDArray surrogateLoss(
      NDArray ratio, NDArray behaviourWeights, NDArray advantages, PolicyUpdateOptions options) {
    NDArray unclipped = ratio.mul(advantages);
    NDArray clipped =
        ratio.clip(1 - options.clipEpsilon(), 1 + options.clipEpsilon()).mul(advantages);
    return unclipped.minimum(clipped).mul(behaviourWeights).neg();
  }

  /** Whether a token's ratio to the proximal policy is on the side the clip cuts off. */
  static boolean clipped(float ratio, float advantage, PolicyUpdateOptions options) {
    return (advantage > 0 && ratio > 1 + options.clipEpsilon())
        || (advantage < 0 && ratio < 1 - options.clipEpsilon());
  }

  private static double clamp(double value, double bound) {
    return Math.max(-bound, Math.min(bound, value));
  }
}
