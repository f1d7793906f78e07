package dev.rredcot.model.trainer;

import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import java.util.Objects;

/**
 * Settings of the streaming trainer.
 *
 * @param batchGroups B: complete groups per optimiser step
 * @param stalenessBound S, the hard staleness bound: rollouts more than S versions behind the
 *     current policy are stale; those within it are trained, importance-weighted against their
 *     behaviour log-probs (see {@link PolicyUpdateOptions})
 * @param stalenessMode what happens to stale rollouts
 * @param trainOptions policy-gradient settings of each step
 * @param dedupMemoryGroups most trained group ids remembered for deduplication (oldest forgotten)
 * @param evaluator held-out evaluator, or null
 * @param evaluateEveryVersions evaluate every n-th new version (when an evaluator is set)
 * @param maxAbsAdvantage records with a token advantage beyond +-this are poison (dead letters)
 * @param minLogProb records with a token log-prob below this (or above 0) are poison
 * @param partialBatchAfterMs when no record arrived for this long, train the complete groups there
 *     are even if fewer than B (0: always wait for B)
 */
public record TrainerOptions(
    int batchGroups,
    int stalenessBound,
    StalenessMode stalenessMode,
    PolicyUpdateOptions trainOptions,
    int dedupMemoryGroups,
    HeldOutEvaluator evaluator,
    int evaluateEveryVersions,
    double maxAbsAdvantage,
    double minLogProb,
    long partialBatchAfterMs) {

  /** Validates. */
  public TrainerOptions {
    if (batchGroups <= 0) {
      throw new IllegalArgumentException("batchGroups must be positive, got " + batchGroups);
    }
    if (stalenessBound < 0) {
      throw new IllegalArgumentException("stalenessBound must be >= 0, got " + stalenessBound);
    }
    Objects.requireNonNull(stalenessMode, "stalenessMode");
    Objects.requireNonNull(trainOptions, "trainOptions");
    if (dedupMemoryGroups <= 0) {
      throw new IllegalArgumentException(
          "dedupMemoryGroups must be positive, got " + dedupMemoryGroups);
    }
    if (evaluateEveryVersions <= 0) {
      throw new IllegalArgumentException(
          "evaluateEveryVersions must be positive, got " + evaluateEveryVersions);
    }
    if (!(maxAbsAdvantage > 0)) {
      throw new IllegalArgumentException(
          "maxAbsAdvantage must be positive, got " + maxAbsAdvantage);
    }
    if (!(minLogProb < 0)) {
      throw new IllegalArgumentException("minLogProb must be negative, got " + minLogProb);
    }
    if (partialBatchAfterMs < 0) {
      throw new IllegalArgumentException(
          "partialBatchAfterMs must be >= 0, got " + partialBatchAfterMs);
    }
  }

  /**
   * Default hard staleness bound S in policy versions. With the decoupled objective a rollout a few
   * versions behind still teaches (its importance weight corrects for the drift), so the bound is a
   * backstop against rollouts of a much older policy (a worker that was cut off, a replay), not the
   * flow control of the loop: that is the workers' admission budget.
   */
  public static final int DEFAULT_STALENESS_BOUND = 4;

  /**
   * Adam lr 5e-5, clip 0.2, no KL, grad-norm clip 1: the learning rate that raised held-out
   * accuracy steadily on the small policies (docs/BENCHMARKS.md, "Settings chosen by measurement").
   */
  public static PolicyUpdateOptions defaultTrainOptions() {
    return PolicyUpdateOptions.builder().optLearningRate(5e-5).optClipEpsilon(0.2).build();
  }

  /**
   * Starts a builder: B 8, S {@value #DEFAULT_STALENESS_BOUND}, drop stale rollouts, lr 5e-5 clip
   * 0.2, remember 100k groups, no evaluation, advantages within +-1000 and log-probs within [-1000,
   * 0].
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link TrainerOptions}. */
  public static final class Builder {
    private int batchGroups = 8;
    private int stalenessBound = DEFAULT_STALENESS_BOUND;
    private StalenessMode stalenessMode = StalenessMode.DROP;
    private PolicyUpdateOptions trainOptions = defaultTrainOptions();
    private int dedupMemoryGroups = 100_000;
    private HeldOutEvaluator evaluator;
    private int evaluateEveryVersions = 1;
    // Far beyond any honest value: a GRPO advantage is at most sqrt(G - 1) in size and RREDCoT's
    // token weights average 1 over a trace, and a sampled token's log-prob is nowhere near -1000.
    private double maxAbsAdvantage = 1_000;
    private double minLogProb = -1_000;
    private long partialBatchAfterMs;

    private Builder() {}

    /** Complete groups per optimiser step, B (default 8). */
    public Builder optBatchGroups(int batchGroups) {
      this.batchGroups = batchGroups;
      return this;
    }

    /**
     * Hard staleness bound S in versions and what to do beyond it (default {@value
     * #DEFAULT_STALENESS_BOUND}, drop).
     */
    public Builder optStaleness(int stalenessBound, StalenessMode stalenessMode) {
      this.stalenessBound = stalenessBound;
      this.stalenessMode = stalenessMode;
      return this;
    }

    /** Policy-gradient settings (default {@link #defaultTrainOptions()}). */
    public Builder optTrainOptions(PolicyUpdateOptions trainOptions) {
      this.trainOptions = trainOptions;
      return this;
    }

    /** Most trained group ids remembered for deduplication (default 100,000). */
    public Builder optDedupMemoryGroups(int dedupMemoryGroups) {
      this.dedupMemoryGroups = dedupMemoryGroups;
      return this;
    }

    /** Evaluates every n-th new version on held-out prompts. */
    public Builder optEvaluator(HeldOutEvaluator evaluator, int everyVersions) {
      this.evaluator = evaluator;
      this.evaluateEveryVersions = everyVersions;
      return this;
    }

    /**
     * Bounds beyond which a credited record is poison and goes to dead letters instead of a step
     * (default 1000 and -1000).
     */
    public Builder optPoisonBounds(double maxAbsAdvantage, double minLogProb) {
      this.maxAbsAdvantage = maxAbsAdvantage;
      this.minLogProb = minLogProb;
      return this;
    }

    /**
     * After this long without a record, train the complete groups there are even if fewer than B,
     * so the last groups of a finite stream are trained (default 0: always wait for B).
     */
    public Builder optPartialBatchAfterMs(long partialBatchAfterMs) {
      this.partialBatchAfterMs = partialBatchAfterMs;
      return this;
    }

    /** Validates and builds. */
    public TrainerOptions build() {
      return new TrainerOptions(
          batchGroups,
          stalenessBound,
          stalenessMode,
          trainOptions,
          dedupMemoryGroups,
          evaluator,
          evaluateEveryVersions,
          maxAbsAdvantage,
          minLogProb,
          partialBatchAfterMs);
    }
  }
}
