package dev.rredcot.model.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The Prometheus metrics of one service, registered by their {@link MetricNames} in a registry of
 * their own (so that services sharing a JVM, as in tests and the demo, never collide) which a
 * {@link MetricsServer} exposes. Each name is registered once; asking again returns the same
 * metric.
 */
public final class ServiceMetrics {
  /** Classic buckets of a policy-version lag: most rollouts are 0 to 2 versions behind. */
  public static final double[] VERSION_BUCKETS = {0, 1, 2, 3, 4, 8, 16};

  /** Classic buckets of a training step, seconds. */
  public static final double[] STEP_SECONDS_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, Object> registered = new HashMap<>();

  /** The registry the metrics live in. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The counter {@code name}. */
  public synchronized Counter counter(MetricNames.Name name) {
    require(name, MetricNames.Kind.COUNTER);
    return (Counter)
        registered.computeIfAbsent(
            name.name(),
            n ->
                Counter.builder()
                    .name(n)
                    .help(name.help())
                    .labelNames(labels(name))
                    .register(registry));
  }

  /** The gauge {@code name}, set by the service. */
  public synchronized Gauge gauge(MetricNames.Name name) {
    require(name, MetricNames.Kind.GAUGE);
    return (Gauge)
        registered.computeIfAbsent(
            name.name(),
            n ->
                Gauge.builder()
                    .name(n)
                    .help(name.help())
                    .labelNames(labels(name))
                    .register(registry));
  }

  /** The histogram {@code name} with classic buckets {@code upperBounds}. */
  public synchronized Histogram histogram(MetricNames.Name name, double... upperBounds) {
    require(name, MetricNames.Kind.HISTOGRAM);
    return (Histogram)
        registered.computeIfAbsent(
            name.name(),
            n ->
                Histogram.builder()
                    .name(n)
                    .help(name.help())
                    .labelNames(labels(name))
                    .classicOnly()
                    .classicUpperBounds(upperBounds)
                    .register(registry));
  }

  /**
   * The unlabelled gauge {@code name}, read from {@code value} at every scrape; absent from a
   * scrape while {@code value} is NaN (not known yet).
   */
  public synchronized void gaugeFrom(MetricNames.Name name, DoubleSupplier value) {
    require(name, MetricNames.Kind.GAUGE);
    registered.computeIfAbsent(
        name.name(),
        n ->
            GaugeWithCallback.builder()
                .name(n)
                .help(name.help())
                .callback(
                    callback -> {
                      double v = value.getAsDouble();
                      if (!Double.isNaN(v)) {
                        callback.call(v);
                      }
                    })
                .register(registry));
  }

  /**
   * The gauge {@code name} with one label, one series per key of the map {@code values} gives at
   * each scrape.
   */
  public synchronized void gaugeFromEach(
      MetricNames.Name name, Supplier<Map<String, Double>> values) {
    require(name, MetricNames.Kind.GAUGE);
    if (name.labels().size() != 1) {
      throw new IllegalArgumentException(name.name() + " does not have exactly one label");
    }
    registered.computeIfAbsent(
        name.name(),
        n ->
            GaugeWithCallback.builder()
                .name(n)
                .help(name.help())
                .labelNames(labels(name))
                .callback(callback -> values.get().forEach((label, v) -> callback.call(v, label)))
                .register(registry));
  }

  private static String[] labels(MetricNames.Name name) {
    return name.labels().toArray(new String[0]);
  }

  private static void require(MetricNames.Name name, MetricNames.Kind kind) {
    if (name.kind() != kind) {
      throw new IllegalArgumentException(name.name() + " is a " + name.kind() + ", not a " + kind);
    }
  }
}
