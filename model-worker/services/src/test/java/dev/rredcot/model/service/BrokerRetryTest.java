package dev.rredcot.model.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class BrokerRetryTest {

  private final BrokerRetry retry = new BrokerRetry(Duration.ofMillis(1), Duration.ofMillis(4));

  @Test
  void retriesPassingFailuresUntilTheCallSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String result =
        retry.untilDone(
            "test",
            () -> true,
            () -> {
              int n = calls.incrementAndGet();
              if (n == 1) {
                throw new TimeoutException("broker away");
              }
              if (n == 2) {
                // A failed send surfaces as the failed future's ExecutionException.
                return CompletableFuture.<String>failedFuture(new NetworkException("reset")).get();
              }
              return "sent";
            });
    assertEquals("sent", result);
    assertEquals(3, calls.get());
  }

  @Test
  void failuresThatAreNotPassingAreThrownAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    ExecutionException error =
        assertThrows(
            ExecutionException.class,
            () ->
                retry.untilDone(
                    "test",
                    () -> true,
                    () -> {
                      calls.incrementAndGet();
                      return CompletableFuture.failedFuture(new RecordTooLargeException("big"))
                          .get();
                    }));
    assertEquals(RecordTooLargeException.class, error.getCause().getClass());
    assertEquals(1, calls.get());
  }

  @Test
  void aStoppedServiceGetsTheLastFailureInsteadOfWaitingForever() {
    AtomicInteger calls = new AtomicInteger();
    TimeoutException outage = new TimeoutException("broker away");
    TimeoutException thrown =
        assertThrows(
            TimeoutException.class,
            () ->
                retry.untilDone(
                    "test",
                    () -> calls.get() < 3,
                    () -> {
                      calls.incrementAndGet();
                      throw outage;
                    }));
    assertSame(outage, thrown);
    assertEquals(3, calls.get());
  }
}
