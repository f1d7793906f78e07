package dev.rredcot.model.policy;

/**
 * Settings of one {@link Policy#trainStep} (PPO-style clipped objective with Adam).
 *
 * @param learningRate Adam step size
 * @param clipEpsilon PPO ratio clip epsilon
 * @param klCoefficient weight of the k3 KL penalty to {@code reference}; 0 disables it
 * @param reference frozen reference policy for the KL term, or null
 * @param maxGradNorm global gradient-norm clip (without it the loss diverged at high learning
 *     rates; docs/BENCHMARKS.md, "Settings chosen by measurement")
 */
public record PolicyUpdateOptions(
    double learningRate,
    double clipEpsilon,
    double klCoefficient,
    Policy reference,
    double maxGradNorm) {

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
  }

  /** Starts a builder: lr 1e-4, clip 0.2, no KL, grad-norm clip 1.0. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link PolicyUpdateOptions}. */
  public static final class Builder {
    private double learningRate = 1e-4;
    private double clipEpsilon = 0.2;
    private double klCoefficient;
    private Policy reference;
    private double maxGradNorm = 1.0;

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

    /** KL penalty weight and the frozen reference policy it is measured against. */
    public Builder optKlPenalty(double klCoefficient, Policy reference) {
      this.klCoefficient = klCoefficient;
      this.reference = reference;
      return this;
    }

    /** Global gradient-norm clip. */
    public Builder optMaxGradNorm(double maxGradNorm) {
      this.maxGradNorm = maxGradNorm;
      return this;
    }

    /** Validates and builds. */
    public PolicyUpdateOptions build() {
      return new PolicyUpdateOptions(
          learningRate, clipEpsilon, klCoefficient, reference, maxGradNorm);
    }
  }
}
