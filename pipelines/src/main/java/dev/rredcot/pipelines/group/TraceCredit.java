package dev.rredcot.pipelines.group;

import dev.rredcot.schemas.Rollout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One rollout with the credit computed for it so far. Each stage returns a new instance with its
 * part filled in ({@code withSegments}, {@code withValues}, {@code withSegmentRewards}); instances
 * are never mutated, as Beam requires of elements.
 */
public final class TraceCredit {
  private final Rollout rollout;
  private final @Nullable String segmentation;
  private final int @Nullable [] boundaries;
  private final @Nullable String valueEstimator;
  private final double @Nullable [] boundaryValues;
  private final double @Nullable [] segmentRewards;
  private final @Nullable Long scoringPolicyVersion;
  private final Map<String, Double> timingsMs;

  TraceCredit(
      Rollout rollout,
      @Nullable String segmentation,
      int @Nullable [] boundaries,
      @Nullable String valueEstimator,
      double @Nullable [] boundaryValues,
      double @Nullable [] segmentRewards,
      @Nullable Long scoringPolicyVersion,
      Map<String, Double> timingsMs) {
    this.rollout = Objects.requireNonNull(rollout, "rollout");
    this.segmentation = segmentation;
    this.boundaries = boundaries;
    this.valueEstimator = valueEstimator;
    this.boundaryValues = boundaryValues;
    this.segmentRewards = segmentRewards;
    this.scoringPolicyVersion = scoringPolicyVersion;
    this.timingsMs = Collections.unmodifiableMap(new LinkedHashMap<>(timingsMs));
  }

  /** A rollout with no credit computed yet. */
  public static TraceCredit of(Rollout rollout) {
    return new TraceCredit(rollout, null, null, null, null, null, null, Map.of());
  }

  public Rollout rollout() {
    return rollout;
  }

  /** Number of tokens T of the trace. */
  public int tokenCount() {
    return rollout.getTokenIds().size();
  }

  public @Nullable String segmentation() {
    return segmentation;
  }

  /** K+1 token offsets 0 = b_0 < ... < b_K = T, or null before segmentation. */
  public int @Nullable [] boundaries() {
    return boundaries == null ? null : boundaries.clone();
  }

  public @Nullable String valueEstimator() {
    return valueEstimator;
  }

  /** K+1 state values v_0..v_K, or null before value estimation. */
  public double @Nullable [] boundaryValues() {
    return boundaryValues == null ? null : boundaryValues.clone();
  }

  /** K redistributed rewards, or null before redistribution. */
  public double @Nullable [] segmentRewards() {
    return segmentRewards == null ? null : segmentRewards.clone();
  }

  public @Nullable Long scoringPolicyVersion() {
    return scoringPolicyVersion;
  }

  public Map<String, Double> timingsMs() {
    return timingsMs;
  }

  /** This trace with its segmentation. */
  public TraceCredit withSegments(String strategy, int[] offsets, double elapsedMs) {
    return new TraceCredit(
        rollout,
        strategy,
        offsets.clone(),
        valueEstimator,
        boundaryValues,
        segmentRewards,
        scoringPolicyVersion,
        timed("segment", elapsedMs));
  }

  /** This trace with state values from {@code estimator} (null version when no model was used). */
  public TraceCredit withValues(
      String estimator, double[] values, @Nullable Long policyVersion, double elapsedMs) {
    return new TraceCredit(
        rollout,
        segmentation,
        boundaries,
        estimator,
        values.clone(),
        segmentRewards,
        policyVersion,
        timed("value", elapsedMs));
  }

  /** This trace with its redistributed segment rewards (and the values they came from). */
  public TraceCredit withSegmentRewards(double[] values, double[] rewards, double elapsedMs) {
    return new TraceCredit(
        rollout,
        segmentation,
        boundaries,
        valueEstimator,
        values.clone(),
        rewards.clone(),
        scoringPolicyVersion,
        timed("redistribute", elapsedMs));
  }

  private Map<String, Double> timed(String stage, double elapsedMs) {
    Map<String, Double> timings = new LinkedHashMap<>(timingsMs);
    timings.put(stage, elapsedMs);
    return timings;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    if (!(other instanceof TraceCredit)) {
      return false;
    }
    TraceCredit that = (TraceCredit) other;
    return rollout.equals(that.rollout)
        && Objects.equals(segmentation, that.segmentation)
        && Arrays.equals(boundaries, that.boundaries)
        && Objects.equals(valueEstimator, that.valueEstimator)
        && Arrays.equals(boundaryValues, that.boundaryValues)
        && Arrays.equals(segmentRewards, that.segmentRewards)
        && Objects.equals(scoringPolicyVersion, that.scoringPolicyVersion)
        && timingsMs.equals(that.timingsMs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rollout, segmentation, Arrays.hashCode(boundaries), valueEstimator);
  }

  @Override
  public String toString() {
    return "TraceCredit{"
        + rollout.getRolloutId()
        + ", boundaries="
        + Arrays.toString(boundaries)
        + ", values="
        + Arrays.toString(boundaryValues)
        + "}";
  }
}
