package dev.rredcot.pipelines;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcome of a credit run: final state, counters (rollouts in/out per stage, dead letters per
 * stage and reason, model forward tokens...) and distributions (segments per rollout, scorer batch
 * size and latency), attempted values summed over steps, by metric name.
 */
public final class CreditRunResult {
  private static final Logger LOG = LoggerFactory.getLogger(CreditRunResult.class);

  /** Summary of one distribution metric. */
  public record Distribution(long count, long sum, long min, long max) {
    /** Mean, or NaN when empty. */
    public double mean() {
      return count == 0 ? Double.NaN : sum / (double) count;
    }
  }

  private final PipelineResult.State state;
  private final Map<String, Long> counters;
  private final Map<String, Distribution> distributions;

  private CreditRunResult(
      PipelineResult.State state,
      Map<String, Long> counters,
      Map<String, Distribution> distributions) {
    this.state = state;
    this.counters = Map.copyOf(counters);
    this.distributions = Map.copyOf(distributions);
  }

  /** Reads the metrics of a (finished) run. */
  public static CreditRunResult of(PipelineResult result) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    Map<String, Long> counters = new TreeMap<>();
    for (MetricResult<Long> counter : metrics.getCounters()) {
      if (DeadLetters.METRICS_NAMESPACE.equals(counter.getName().getNamespace())) {
        counters.merge(counter.getName().getName(), counter.getAttempted(), Long::sum);
      }
    }
    Map<String, Distribution> distributions = new TreeMap<>();
    for (MetricResult<DistributionResult> metric : metrics.getDistributions()) {
      if (DeadLetters.METRICS_NAMESPACE.equals(metric.getName().getNamespace())) {
        DistributionResult d = metric.getAttempted();
        distributions.merge(
            metric.getName().getName(),
            new Distribution(d.getCount(), d.getSum(), d.getMin(), d.getMax()),
            (a, b) ->
                new Distribution(
                    a.count() + b.count(),
                    a.sum() + b.sum(),
                    Math.min(a.min(), b.min()),
                    Math.max(a.max(), b.max())));
      }
    }
    return new CreditRunResult(result.getState(), counters, distributions);
  }

  public PipelineResult.State state() {
    return state;
  }

  /** Counters by name, e.g. {@code rollouts-credited}, {@code stage/EstimateValues/in}. */
  public Map<String, Long> counters() {
    return new TreeMap<>(counters);
  }

  /** A counter's value, 0 when it never counted. */
  public long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  /** Distributions by name, e.g. {@code segments-per-rollout}. */
  public Map<String, Distribution> distributions() {
    return new TreeMap<>(distributions);
  }

  /** Logs every counter and distribution (one line each). */
  public void log() {
    counters().forEach((name, value) -> LOG.info("counter {} = {}", name, value));
    distributions()
        .forEach(
            (name, d) ->
                LOG.info(
                    "distribution {}: count={} mean={} min={} max={}",
                    name,
                    d.count(),
                    String.format(java.util.Locale.ROOT, "%.2f", d.mean()),
                    d.min(),
                    d.max()));
  }
}
