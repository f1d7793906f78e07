package dev.rredcot.pipelines.metrics;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Names of the credit job's metrics (namespace {@link DeadLetters#METRICS_NAMESPACE}) and helpers
 * that update them: rollouts in and out per stage ({@code stage/<Stage>/in|out}), segments per
 * rollout, scorer batch size and latency, model forward tokens.
 */
public final class StageMetrics {
  /** Distribution of segment counts K per segmented rollout. */
  public static final String SEGMENTS_PER_ROLLOUT = "segments-per-rollout";

  /** Distribution of traces per policy call. */
  public static final String SCORER_BATCH_TRACES = "scorer-batch-traces";

  /** Distribution of wall time per policy call, milliseconds. */
  public static final String SCORER_LATENCY_MS = "scorer-latency-ms";

  /** Counter of token positions the policy ran (Policy.forwardTokens deltas). */
  public static final String MODEL_FORWARD_TOKENS = "model-forward-tokens";

  private StageMetrics() {}

  /** Counts {@code rollouts} entering {@code stage}. */
  public static void in(String stage, long rollouts) {
    counter("stage/" + stage + "/in").inc(rollouts);
  }

  /** Counts {@code rollouts} leaving {@code stage} on its main output. */
  public static void out(String stage, long rollouts) {
    counter("stage/" + stage + "/out").inc(rollouts);
  }

  public static Counter counter(String name) {
    return Metrics.counter(DeadLetters.METRICS_NAMESPACE, name);
  }

  public static Distribution distribution(String name) {
    return Metrics.distribution(DeadLetters.METRICS_NAMESPACE, name);
  }
}
