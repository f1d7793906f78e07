package dev.rredcot.model.service;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repeats a Kafka call that failed for a passing reason (broker unreachable, leader moving, a
 * timeout) with exponential backoff, for as long as the service runs, so that a service rides out a
 * broker outage instead of stopping. The clients retry inside their own timeouts (a producer for
 * {@code delivery.timeout.ms}, 2 minutes by default); this covers outages longer than that.
 */
public final class BrokerRetry {

  /** A Kafka call. */
  @FunctionalInterface
  public interface KafkaCall<T> {
    /** Runs the call once. */
    T call() throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(BrokerRetry.class);

  private final Duration firstBackoff;
  private final Duration maxBackoff;

  /** Backoff from {@code firstBackoff}, doubling up to {@code maxBackoff}. */
  public BrokerRetry(Duration firstBackoff, Duration maxBackoff) {
    if (firstBackoff.isNegative()
        || firstBackoff.isZero()
        || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException(
          "need 0 < firstBackoff <= maxBackoff, got " + firstBackoff + ", " + maxBackoff);
    }
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** Backoff from 100 ms doubling up to 10 s. */
  public static BrokerRetry standard() {
    return new BrokerRetry(Duration.ofMillis(100), Duration.ofSeconds(10));
  }

  /**
   * Runs {@code call} until it succeeds, it fails for a reason that is not passing, or {@code
   * running} turns false (then the last failure is thrown).
   *
   * @param what what the call does, for the log
   */
  public <T> T untilDone(String what, BooleanSupplier running, KafkaCall<T> call) throws Exception {
    long backoffMs = firstBackoff.toMillis();
    int attempt = 1;
    while (true) {
      try {
        return call.call();
      } catch (Exception e) {
        if (!isPassing(e) || !running.getAsBoolean()) {
          throw e;
        }
        LOG.warn(
            "{} failed (attempt {}, {}); retrying in {} ms",
            what,
            attempt,
            rootMessage(e),
            backoffMs);
        Thread.sleep(backoffMs);
        backoffMs = Math.min(2 * backoffMs, maxBackoff.toMillis());
        attempt++;
      }
    }
  }

  /** Whether {@code e} (or the cause of a failed future) is a failure Kafka calls retriable. */
  public static boolean isPassing(Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof RetriableException;
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}
