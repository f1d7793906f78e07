package dev.rredcot.infra.cli;

import dev.rredcot.model.metrics.MetricsServer;
import dev.rredcot.model.service.RunningService;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --metrics-host} and {@code --metrics-port} options of the long-running services: where
 * their HTTP port (Prometheus {@code /metrics}, {@code /healthz}, {@code /ready}) listens.
 */
public final class MetricsOption {
  @Option(
      names = "--metrics-host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description =
          "Address of the metrics and health port (default ${DEFAULT-VALUE}: this machine only).")
  String host;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description =
          "Port of /metrics, /healthz and /ready (default ${DEFAULT-VALUE}: any free port, printed"
              + " at start; -1: no metrics port).")
  int port;

  /** Whether the options ask for a port. */
  boolean enabled() {
    return port >= 0;
  }

  /**
   * Starts the metrics and health port of {@code service} and prints where it listens; null when
   * {@code --metrics-port -1}.
   *
   * @throws UncheckedIOException when the address cannot be bound
   */
  MetricsServer start(String name, RunningService service, PrintWriter out) {
    if (!enabled()) {
      return null;
    }
    try {
      MetricsServer server = MetricsServer.start(host, port, service.metrics().registry(), service);
      out.printf(
          "%s: metrics at %s (liveness %s, readiness %s)%n",
          name, server.metricsUrl(), MetricsServer.LIVE_PATH, MetricsServer.READY_PATH);
      out.flush();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen for metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** Checks the port range. */
  void validate(CommandSpec spec) {
    if (port < -1 || port > 65_535) {
      throw new ParameterException(
          spec.commandLine(), "--metrics-port must be -1 (off) or 0..65535, got " + port);
    }
  }
}
