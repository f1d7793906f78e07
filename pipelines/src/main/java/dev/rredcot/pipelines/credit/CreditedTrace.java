package dev.rredcot.pipelines.credit;

import dev.rredcot.pipelines.group.TraceCredit;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One trace's credit from {@link GroupCreditor}: its segment boundaries, state values (v_K = ζ),
 * segment rewards and per-token advantages, or the failure of the step that refused it (the trace
 * then holds what the earlier steps computed).
 */
public final class CreditedTrace {
  private final TraceCredit trace;
  private final float @Nullable [] advantages;
  private final @Nullable CreditFailure failure;

  private CreditedTrace(
      TraceCredit trace, float @Nullable [] advantages, @Nullable CreditFailure failure) {
    this.trace = Objects.requireNonNull(trace, "trace");
    this.advantages = advantages;
    this.failure = failure;
  }

  static CreditedTrace credited(TraceCredit trace, float[] advantages) {
    return new CreditedTrace(trace, advantages.clone(), null);
  }

  static CreditedTrace failed(TraceCredit trace, CreditFailure failure) {
    return new CreditedTrace(trace, null, Objects.requireNonNull(failure, "failure"));
  }

  /** The trace with boundaries, values and segment rewards (as far as the steps got). */
  public TraceCredit trace() {
    return trace;
  }

  /** K+1 token offsets, or null when segmentation failed. */
  public int @Nullable [] boundaries() {
    return trace.boundaries();
  }

  /** v_0..v_K with v_K = ζ, or null on failure. */
  public double @Nullable [] values() {
    return succeeded() ? trace.boundaryValues() : null;
  }

  /** r_1..r_K, or null on failure. */
  public double @Nullable [] segmentRewards() {
    return trace.segmentRewards();
  }

  /** One advantage per token, or null on failure. */
  public float @Nullable [] advantages() {
    return advantages == null ? null : advantages.clone();
  }

  /** Why the trace got no credit, or null. */
  public @Nullable CreditFailure failure() {
    return failure;
  }

  public boolean succeeded() {
    return failure == null;
  }

  @Override
  public String toString() {
    return "CreditedTrace{"
        + trace.rollout().getRolloutId()
        + (failure == null ? "" : ", " + failure)
        + "}";
  }
}
