package dev.rredcot.model.service;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Reads what a service's health and lag gauges need from a Kafka client's own metrics ({@code
 * client.metrics()}): whether it holds a broker connection, and a consumer's lag. The map a client
 * returns is a live view, so a service takes it once on its loop thread and these read it from any
 * thread (the client's metric values are thread-safe).
 */
public final class KafkaClientMetrics {
  private static final String CONNECTION_COUNT = "connection-count";
  private static final String FETCH_GROUP = "consumer-fetch-manager-metrics";
  private static final String RECORDS_LAG = "records-lag";

  private KafkaClientMetrics() {}

  /**
   * Whether the client has at least one broker connection ({@code connection-count}, which also
   * counts a connection being opened, so a reconnect attempt can show as connected for as long as
   * it takes to be refused); false for a null map.
   */
  public static boolean connected(Map<MetricName, ? extends Metric> metrics) {
    if (metrics == null) {
      return false;
    }
    for (Map.Entry<MetricName, ? extends Metric> entry : metrics.entrySet()) {
      MetricName name = entry.getKey();
      // consumer-metrics or producer-metrics; the per-node groups have no such gauge.
      if (CONNECTION_COUNT.equals(name.name()) && name.group().endsWith("-metrics")) {
        if (value(entry.getValue()) > 0) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A consumer's lag: records between its position and the end of each assigned partition, summed
   * over partitions, as of its last fetch; NaN before the first fetch (or for a null map).
   */
  public static double recordsLag(Map<MetricName, ? extends Metric> metrics) {
    if (metrics == null) {
      return Double.NaN;
    }
    double sum = 0;
    boolean any = false;
    for (Map.Entry<MetricName, ? extends Metric> entry : metrics.entrySet()) {
      MetricName name = entry.getKey();
      if (RECORDS_LAG.equals(name.name())
          && FETCH_GROUP.equals(name.group())
          && name.tags().containsKey("partition")) {
        double lag = value(entry.getValue());
        if (!Double.isNaN(lag)) {
          sum += lag;
          any = true;
        }
      }
    }
    return any ? sum : Double.NaN;
  }

  private static double value(Metric metric) {
    Object value = metric.metricValue();
    return value instanceof Number number ? number.doubleValue() : Double.NaN;
  }
}
