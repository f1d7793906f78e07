package dev.rredcot.infra.cli;

import dev.rredcot.model.metrics.MetricsServer;
import dev.rredcot.model.service.RunningService;
import java.io.PrintWriter;
import java.util.function.Supplier;

/**
 * Runs one long-running service (trainer, rollout worker, task feeder) as this process, with its
 * metrics and health port ({@link MetricsOption}): until it stops by itself or the process gets
 * SIGTERM or Ctrl-C. A shutdown hook then stops the service's thread (which finishes its current
 * step and closes its Kafka clients) and ends the process with status 0, or 1 if the service had
 * failed.
 */
final class ServiceProcess {

  private ServiceProcess() {}

  /**
   * Waits for the started {@code service}; returns 0 after a clean end. {@code summary} gives one
   * line about what the service did, printed when it ends.
   *
   * @throws IllegalStateException when the service failed (its failure is the cause)
   */
  static int run(
      String name,
      RunningService service,
      MetricsOption metrics,
      Supplier<String> summary,
      PrintWriter out)
      throws InterruptedException {
    MetricsServer server;
    try {
      server = metrics.start(name, service, out);
    } catch (RuntimeException e) {
      service.close();
      throw e;
    }
    try {
      return await(name, service, summary, out);
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private static int await(
      String name, RunningService service, Supplier<String> summary, PrintWriter out)
      throws InterruptedException {
    Thread hook =
        new Thread(
            () -> {
              try {
                service.close();
              } catch (Exception e) {
                out.printf("%s: stopping failed: %s%n", name, e);
              }
              Throwable failure = service.failure();
              out.printf(
                  "%s: stopped%s; %s%n",
                  name, failure == null ? "" : " after a failure (" + failure + ")", summary.get());
              out.flush();
              // A JVM ended by a signal exits with 128 + the signal's number even when every hook
              // ran cleanly; halting from the last hook is the way to report the service's status.
              Runtime.getRuntime().halt(failure == null ? 0 : RredcotCli.EXIT_FAILURE);
            },
            name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    service.awaitTermination();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // A signal arrived: the hook stops the service and ends the process with its status.
      Thread.currentThread().join();
    }
    try {
      service.close();
    } catch (Exception e) {
      out.printf("%s: closing failed: %s%n", name, e);
    }
    Throwable failure = service.failure();
    out.printf("%s: %s%n", name, summary.get());
    out.flush();
    if (failure != null) {
      throw new IllegalStateException("the " + name + " stopped: " + failure, failure);
    }
    return 0;
  }
}
