package dev.rredcot.model.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * A service's HTTP port: {@code /metrics} (Prometheus text or OpenMetrics, by the client library's
 * handler), {@code /healthz} (liveness: 200 while the service's main thread runs, else 503) and
 * {@code /ready} (readiness: 200 while it can work, else 503).
 *
 * <pre>{@code
 * try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, metrics.registry(), service)) {
 *   int port = server.port();
 * }
 * }</pre>
 */
public final class MetricsServer implements AutoCloseable {
  /** Path of the Prometheus scrape. */
  public static final String METRICS_PATH = "/metrics";

  /** Path of the liveness probe. */
  public static final String LIVE_PATH = "/healthz";

  /** Path of the readiness probe. */
  public static final String READY_PATH = "/ready";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code host:port} (port 0: any free port) and serves {@code registry} and {@code health}.
   *
   * @throws IOException when the address cannot be bound
   */
  public static MetricsServer start(
      String host, int port, PrometheusRegistry registry, ServiceHealth health) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 8);
    server.createContext(METRICS_PATH, new MetricsHandler(registry));
    server.createContext(LIVE_PATH, exchange -> probe(exchange, health::live, "live"));
    server.createContext(READY_PATH, exchange -> probe(exchange, health::ready, "ready"));
    // Two threads: a slow scrape must not hold up a probe, and scrapes are rare.
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            runnable -> {
              Thread thread = new Thread(runnable, "metrics-http");
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    server.start();
    return new MetricsServer(server, executor);
  }

  /** The bound port (the chosen one when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The bound host address. */
  public String host() {
    return server.getAddress().getHostString();
  }

  /** {@code http://host:port/metrics}. */
  public String metricsUrl() {
    return "http://" + host() + ":" + port() + METRICS_PATH;
  }

  private static void probe(HttpExchange exchange, BooleanSupplier check, String state)
      throws IOException {
    try (exchange) {
      boolean ok;
      try {
        ok = check.getAsBoolean();
      } catch (RuntimeException e) {
        // A probe that cannot tell answers "not ok" rather than failing the request.
        ok = false;
      }
      byte[] body = ((ok ? "" : "not ") + state + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(ok ? 200 : 503, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** Stops serving (at once: probes and scrapes are short). */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
