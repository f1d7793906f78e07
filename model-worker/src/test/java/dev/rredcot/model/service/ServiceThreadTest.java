package dev.rredcot.model.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServiceThreadTest {

  @Test
  void anErrorThatKillsTheLoopIsKeptAsTheFailure() throws InterruptedException {
    ServiceThread service = new ServiceThread("test-service", Duration.ofSeconds(5), false);
    OutOfMemoryError error = new OutOfMemoryError("pretend the heap is gone");
    service.start(
        () -> {
          throw error;
        });
    assertTrue(service.awaitFinished());
    assertSame(error, service.failure());
    assertFalse(service.running());
    assertTrue(service.finished());
  }

  @Test
  void aCleanStopLeavesNoFailure() throws InterruptedException {
    ServiceThread service = new ServiceThread("test-service", Duration.ofSeconds(5), false);
    service.start(
        () -> {
          while (service.running()) {
            Thread.onSpinWait();
          }
        });
    assertTrue(service.stop());
    assertTrue(service.finished());
    assertNull(service.failure());
  }
}
