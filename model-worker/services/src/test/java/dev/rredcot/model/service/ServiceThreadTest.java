package dev.rredcot.model.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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

  @Test
  void anAcknowledgementThatNeverComesEndsTheWaitAGraceAfterTheStop() {
    ServiceThread service = new ServiceThread("test-service", Duration.ofSeconds(5), false);
    service.requestStop();
    long start = System.nanoTime();
    assertThrows(
        StopRequestedException.class,
        () -> service.awaitWhileRunning(new CompletableFuture<String>(), "a record"));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= ServiceThread.STOP_GRACE.toMillis(), "waited the grace: " + tookMs);
    assertTrue(tookMs < ServiceThread.STOP_GRACE.toMillis() + 2_000, "and no longer: " + tookMs);
  }

  @Test
  void anAcknowledgementWithinTheGraceIsTaken() throws Exception {
    ServiceThread service = new ServiceThread("test-service", Duration.ofSeconds(5), false);
    service.requestStop();
    CompletableFuture<String> ack = new CompletableFuture<>();
    CompletableFuture.delayedExecutor(500, java.util.concurrent.TimeUnit.MILLISECONDS)
        .execute(() -> ack.complete("acked"));
    assertEquals("acked", service.awaitWhileRunning(ack, "a record"));
  }

  @Test
  void aFailedSendIsThrownAsItsExecutionException() {
    ServiceThread service = new ServiceThread("test-service", Duration.ofSeconds(5), false);
    CompletableFuture<String> ack = CompletableFuture.failedFuture(new IllegalStateException("x"));
    assertThrows(ExecutionException.class, () -> service.awaitWhileRunning(ack, "a record"));
  }
}
