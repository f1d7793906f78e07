package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.metrics.ServiceMetrics;
import dev.rredcot.model.service.RunningService;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ServiceProcessTest {

  /** A service whose thread has already ended with {@code failure} (null: cleanly). */
  private static RunningService ended(Throwable failure) {
    return new RunningService() {
      @Override
      public void awaitTermination() {}

      @Override
      public Throwable failure() {
        return failure;
      }

      @Override
      public ServiceMetrics metrics() {
        return new ServiceMetrics();
      }

      @Override
      public boolean live() {
        return false;
      }

      @Override
      public boolean ready() {
        return false;
      }

      @Override
      public void close() {}
    };
  }

  private static MetricsOption noMetricsPort() {
    MetricsOption option = new MetricsOption();
    option.port = -1;
    return option;
  }

  @Test
  void aServiceThatEndsCleanlyExitsZeroWithItsSummary() throws InterruptedException {
    StringWriter out = new StringWriter();
    assertEquals(
        0,
        ServiceProcess.run(
            "test",
            ended(null),
            noMetricsPort(),
            () -> "3 things done",
            new PrintWriter(out, true)));
    assertTrue(out.toString().contains("test: 3 things done"), out.toString());
  }

  @Test
  void aJvmErrorInTheServiceThreadBecomesAFailedCommand() {
    OutOfMemoryError error = new OutOfMemoryError("heap");
    IllegalStateException failed =
        assertThrows(
            IllegalStateException.class,
            () ->
                ServiceProcess.run(
                    "test",
                    ended(error),
                    noMetricsPort(),
                    () -> "3 things done",
                    new PrintWriter(new StringWriter())));
    assertSame(error, failed.getCause());
    assertTrue(failed.getMessage().contains("the test stopped"), failed.getMessage());
  }
}
