package dev.rredcot.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  /** Health that a test sets. */
  private static final class SetHealth implements ServiceHealth {
    final AtomicBoolean live = new AtomicBoolean();
    final AtomicBoolean ready = new AtomicBoolean();

    @Override
    public boolean live() {
      return live.get();
    }

    @Override
    public boolean ready() {
      return ready.get();
    }
  }

  private HttpResponse<String> get(MetricsServer server, String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private ScrapedSamples scrape(MetricsServer server) throws IOException, InterruptedException {
    HttpResponse<String> response = get(server, MetricsServer.METRICS_PATH);
    assertEquals(200, response.statusCode(), response.body());
    return ScrapedSamples.parse(response.body());
  }

  @Test
  void scrapesShowTheRegisteredNamesAndFollowEvents() throws Exception {
    ServiceMetrics metrics = new ServiceMetrics();
    AtomicLong version = new AtomicLong(3);
    metrics.gaugeFrom(MetricNames.POLICY_VERSION, version::get);
    metrics.gaugeFrom(MetricNames.HELDOUT_ACCURACY, () -> Double.NaN);
    metrics.gaugeFromEach(MetricNames.CONSUMER_LAG, () -> Map.of("rollout-workers", 7.0));
    try (MetricsServer server =
        MetricsServer.start("127.0.0.1", 0, metrics.registry(), new SetHealth())) {
      assertTrue(server.port() > 0);
      assertEquals("127.0.0.1", server.host());

      metrics.counter(MetricNames.WORKER_ROLLOUTS_PUBLISHED).inc(16);
      metrics.counter(MetricNames.DEAD_LETTERS).labelValues("rejected-prompt").inc();
      metrics.histogram(MetricNames.ROLLOUT_STALENESS, ServiceMetrics.VERSION_BUCKETS).observe(1);
      ScrapedSamples first = scrape(server);
      assertEquals(16.0, first.value("rredcot_worker_rollouts_published_total").orElseThrow());
      assertEquals(
          1.0,
          first.value("rredcot_dead_letters_total", "reason", "rejected-prompt").orElseThrow());
      assertEquals(3.0, first.value("rredcot_policy_version").orElseThrow());
      assertEquals(
          7.0, first.value("rredcot_consumer_lag_records", "group", "rollout-workers").get());
      assertEquals(
          1.0, first.value("rredcot_rollout_staleness_versions_bucket", "le", "1.0").get());
      assertEquals(
          0.0, first.value("rredcot_rollout_staleness_versions_bucket", "le", "0.0").get());
      assertEquals(1.0, first.value("rredcot_rollout_staleness_versions_count").get());
      // Not known yet: absent, not a made-up 0.
      assertFalse(first.has("rredcot_heldout_accuracy"));

      metrics.counter(MetricNames.WORKER_ROLLOUTS_PUBLISHED).inc(8);
      version.set(4);
      ScrapedSamples second = scrape(server);
      assertEquals(24.0, second.value("rredcot_worker_rollouts_published_total").orElseThrow());
      assertEquals(4.0, second.value("rredcot_policy_version").orElseThrow());
    }
  }

  @Test
  void healthEndpointsAnswer200Or503AsTheStateChanges() throws Exception {
    SetHealth health = new SetHealth();
    try (MetricsServer server =
        MetricsServer.start("127.0.0.1", 0, new ServiceMetrics().registry(), health)) {
      assertEquals(503, get(server, MetricsServer.LIVE_PATH).statusCode());
      assertEquals(503, get(server, MetricsServer.READY_PATH).statusCode());

      health.live.set(true);
      assertEquals(200, get(server, MetricsServer.LIVE_PATH).statusCode());
      assertEquals(503, get(server, MetricsServer.READY_PATH).statusCode());

      health.ready.set(true);
      assertEquals(200, get(server, MetricsServer.READY_PATH).statusCode());
      assertEquals("ready\n", get(server, MetricsServer.READY_PATH).body());

      // The main thread died: neither live nor ready.
      health.live.set(false);
      health.ready.set(false);
      assertEquals(503, get(server, MetricsServer.LIVE_PATH).statusCode());
      assertEquals("not ready\n", get(server, MetricsServer.READY_PATH).body());
    }
  }

  @Test
  void aNameIsRegisteredOnceAndOnlyAsItsKind() {
    ServiceMetrics metrics = new ServiceMetrics();
    assertTrue(
        metrics.counter(MetricNames.FEEDER_PROMPTS_SENT)
            == metrics.counter(MetricNames.FEEDER_PROMPTS_SENT));
    IllegalArgumentException wrongKind =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> metrics.gauge(MetricNames.FEEDER_PROMPTS_SENT));
    assertTrue(wrongKind.getMessage().contains("COUNTER"), wrongKind.getMessage());
  }

  @Test
  void documentedNamesAreUniqueAndValidPrometheusNames() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (MetricNames.Name name : MetricNames.all()) {
      assertTrue(seen.add(name.name()), "twice: " + name.name());
      assertTrue(name.name().matches("rredcot_[a-z_]+"), name.name());
      assertFalse(name.name().endsWith("_total"), "the client adds _total: " + name.name());
    }
  }
}
