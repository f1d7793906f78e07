package dev.rredcot.model.policy;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.tokenizer.Tokenizer;

/**
 * Settings of one {@link Policy#trainStep}: the decoupled PPO objective (docs/METHOD.md, "5. The
 * trainer's objective") with Adam.
 *
 * @param learningRate Adam step size
 * @param clipEpsilon PPO clip epsilon of the trust region around the proximal policy (the policy
 *     before the step)
 * @param klCoefficient weight of the k3 KL penalty to {@code reference}; 0 disables it
 * @param reference frozen reference model for the KL term (the trained policy's tokenizer), or null
 * @param maxGradNorm global gradient-norm clip (without it the loss diverged at high learning
 *     rates; docs/BENCHMARKS.md, "Settings chosen by measurement")
 * @param maxImportanceWeight cap of the behaviour importance weight {@code π_prox / μ} (truncated
 *     there); at least 1, so a fresh rollout (weight 1) is never truncated
 * @param maxAbsLogRatio every log-ratio (proximal against behaviour, current against proximal) is
 *     clamped to {@code ±} this before it is exponentiated, so no ratio overflows a float
 * @param epochsPerBatch optimiser updates on the same batch, all clipped around the one proximal
 *     policy taken before the first
 * @param advantageScale how the batch's advantages are scaled before the step ({@link
 *     AdvantageScale}; default as given)
 */
public record PolicyUpdateOptions(
    double learningRate,
    double clipEpsilon,
    double klCoefficient,
    PolicyBackend reference,
    double maxGradNorm,
    double maxImportanceWeight,
    double maxAbsLogRatio,
    int epochsPerBatch,
    AdvantageScale advantageScale) {

  /**
   * Default {@link #maxImportanceWeight}: a token may count at most five times its weight under
   * on-policy training, which bounds the variance a very stale rollout adds.
   */
  public static final double DEFAULT_MAX_IMPORTANCE_WEIGHT = 5;

  /**
   * Default {@link #maxAbsLogRatio}: {@code e^20 ≈ 4.9e8} times the largest advantage the trainer
   * accepts (1000) is still far inside float range, and no honest ratio comes near it.
   */
  public static final double DEFAULT_MAX_ABS_LOG_RATIO = 20;

  /** Validates. */
  public PolicyUpdateOptions {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
    }
    if (!(clipEpsilon > 0)) {
      throw new IllegalArgumentException("clipEpsilon must be positive, got " + clipEpsilon);
    }
    if (!(klCoefficient >= 0)) {
      throw new IllegalArgumentException("klCoefficient must be >= 0, got " + klCoefficient);
    }
    if (klCoefficient > 0 && reference == null) {
      throw new IllegalArgumentException("klCoefficient > 0 needs a reference policy");
    }
    if (!(maxGradNorm > 0)) {
      throw new IllegalArgumentException("maxGradNorm must be positive, got " + maxGradNorm);
    }
    if (!(maxImportanceWeight >= 1) || Double.isInfinite(maxImportanceWeight)) {
      throw new IllegalArgumentException(
          "maxImportanceWeight must be finite and >= 1 (fresh rollouts have weight 1), got "
              + maxImportanceWeight);
    }
    if (!(maxAbsLogRatio > 0) || maxAbsLogRatio > 80) {
      // exp(88.7) overflows a float; 80 keeps a margin for the multiplication by an advantage.
      throw new IllegalArgumentException(
          "maxAbsLogRatio must be in (0, 80], got " + maxAbsLogRatio);
    }
    if (epochsPerBatch < 1) {
      throw new IllegalArgumentException("epochsPerBatch must be >= 1, got " + epochsPerBatch);
    }
    java.util.Objects.requireNonNull(advantageScale, "advantageScale");
  }

  /**
   * Refuses a KL reference that reads tokens otherwise than the trained policy's {@code tokenizer}
   * (another name or vocabulary size): its log-probabilities would be of other tokens.
   *
   * @throws IllegalArgumentException naming both tokenizers
   */
  public void requireReferenceReads(Tokenizer tokenizer) {
    if (reference == null) {
      return;
    }
    Tokenizer own = reference.tokenizer();
    if (!own.name().equals(tokenizer.name()) || own.vocabSize() != tokenizer.vocabSize()) {
      throw new IllegalArgumentException(
          "the KL reference "
              + reference.description()
              + " reads tokens with "
              + own.name()
              + " ("
              + own.vocabSize()
              + " ids), the trained policy with "
              + tokenizer.name()
              + " ("
              + tokenizer.vocabSize()
              + " ids): give a reference with the policy's tokenizer");
    }
  }

  /**
   * Starts a builder: lr 1e-4, clip 0.2, no KL, grad-norm clip 1.0, importance weight cap {@value
   * #DEFAULT_MAX_IMPORTANCE_WEIGHT}, log-ratio bound {@value #DEFAULT_MAX_ABS_LOG_RATIO}, one
   * epoch.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link PolicyUpdateOptions}. */
  public static final class Builder {
    private double learningRate = 1e-4;
    private double clipEpsilon = 0.2;
    private double klCoefficient;
    private PolicyBackend reference;
    private double maxGradNorm = 1.0;
    private double maxImportanceWeight = DEFAULT_MAX_IMPORTANCE_WEIGHT;
    private double maxAbsLogRatio = DEFAULT_MAX_ABS_LOG_RATIO;
    private int epochsPerBatch = 1;
    private AdvantageScale advantageScale = AdvantageScale.AS_GIVEN;

    private Builder() {}

    /** Adam learning rate. */
    public Builder optLearningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** PPO clip epsilon. */
    public Builder optClipEpsilon(double clipEpsilon) {
      this.clipEpsilon = clipEpsilon;
      return this;
    }

    /**
     * KL penalty weight and the frozen reference it is measured against: any model that scores the
     * trained policy's token ids (the same tokenizer), e.g. the policy training started from.
     */
    public Builder optKlPenalty(double klCoefficient, PolicyBackend reference) {
      this.klCoefficient = klCoefficient;
      this.reference = reference;
      return this;
    }

    /** Global gradient-norm clip. */
    public Builder optMaxGradNorm(double maxGradNorm) {
      this.maxGradNorm = maxGradNorm;
      return this;
    }

    /** Cap of the behaviour importance weight (default {@value #DEFAULT_MAX_IMPORTANCE_WEIGHT}). */
    public Builder optMaxImportanceWeight(double maxImportanceWeight) {
      this.maxImportanceWeight = maxImportanceWeight;
      return this;
    }

    /**
     * Bound of every log-ratio before exponentiation (default {@value #DEFAULT_MAX_ABS_LOG_RATIO}).
     */
    public Builder optMaxAbsLogRatio(double maxAbsLogRatio) {
      this.maxAbsLogRatio = maxAbsLogRatio;
      return this;
    }

    /** Optimiser updates per batch (default 1). */
    public Builder optEpochsPerBatch(int epochsPerBatch) {
      this.epochsPerBatch = epochsPerBatch;
      return this;
    }

    /** How each batch's advantages are scaled before the step (default as given). */
    public Builder optAdvantageScale(AdvantageScale advantageScale) {
      this.advantageScale = advantageScale;
      return this;
    }

    /** Validates and builds. */
    public PolicyUpdateOptions build() {
      return new PolicyUpdateOptions(
          learningRate,
          clipEpsilon,
          klCoefficient,
          reference,
          maxGradNorm,
          maxImportanceWeight,
          maxAbsLogRatio,
          epochsPerBatch,
          advantageScale);
    }
  }
}
