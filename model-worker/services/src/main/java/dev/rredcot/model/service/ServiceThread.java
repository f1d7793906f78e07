package dev.rredcot.model.service;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background thread of a long-running service (rollout worker, task feeder, trainer): started
 * once, its loop runs while {@link #running()} holds, and stopping waits for the loop a bounded
 * time so that a service never outlives its owner unnoticed. Whatever ends the loop by being
 * thrown, a JVM {@link Error} included, is logged and kept as {@link #failure()}, never swallowed
 * by a dying thread.
 */
public final class ServiceThread {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceThread.class);

  /**
   * How long an acknowledgement is still awaited once a stop was asked for: enough for a live
   * broker to acknowledge the last step's records, short enough that a broker that is gone does not
   * hold up the stop (the producer itself would wait {@code delivery.timeout.ms}).
   */
  public static final Duration STOP_GRACE = Duration.ofSeconds(3);

  private static final long SLICE_MS = 200;

  private final String name;
  private final Duration stopTimeout;
  private final boolean interruptOnStop;
  private volatile boolean running;
  private volatile Throwable failure;
  private Thread thread;

  /**
   * A service thread called {@code name} whose stop waits at most {@code stopTimeout}; with {@code
   * interruptOnStop} a stop also interrupts it (for loops that sleep between sends, not for loops
   * whose current iteration must finish, such as a training step).
   */
  public ServiceThread(String name, Duration stopTimeout, boolean interruptOnStop) {
    this.name = name;
    this.stopTimeout = stopTimeout;
    this.interruptOnStop = interruptOnStop;
  }

  /** Starts {@code loop} on a daemon thread; a service starts once. */
  public synchronized void start(Runnable loop) {
    if (thread != null) {
      throw new IllegalStateException(name + " already started");
    }
    running = true;
    thread =
        new Thread(
            () -> {
              try {
                loop.run();
              } catch (Throwable t) {
                // An Error (OutOfMemoryError, a native library failing to load) would otherwise end
                // the thread with a line on stderr while its owner believes the service runs.
                failure = t;
                running = false;
                LOG.error("{} thread died", name, t);
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether the loop should go on. */
  public boolean running() {
    return running;
  }

  /** Asks the loop to end after its current iteration (from any thread, the loop's included). */
  public void requestStop() {
    running = false;
  }

  /**
   * Waits for {@code ack} (a producer's send, a commit) while the loop runs, and at most {@link
   * #STOP_GRACE} more once a stop was asked for.
   *
   * @throws StopRequestedException when the stop came and the grace ran out first
   * @throws ExecutionException when the call failed
   */
  public <T> T awaitWhileRunning(Future<T> ack, String what)
      throws StopRequestedException, ExecutionException, InterruptedException {
    long graceEnd = Long.MAX_VALUE;
    while (true) {
      try {
        return ack.get(SLICE_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException notYet) {
        if (!running && graceEnd == Long.MAX_VALUE) {
          graceEnd = System.nanoTime() + STOP_GRACE.toNanos();
        }
        if (System.nanoTime() > graceEnd) {
          throw new StopRequestedException(
              name + " stopped before the broker acknowledged " + what);
        }
      }
    }
  }

  /** What the loop threw (an {@link Error} included), or null. */
  public Throwable failure() {
    return failure;
  }

  /** Waits until the thread has ended; false when it was never started. */
  public boolean awaitFinished() throws InterruptedException {
    Thread started;
    synchronized (this) {
      started = thread;
    }
    if (started == null) {
      return false;
    }
    started.join();
    return true;
  }

  /** Whether {@link #start} was called. */
  public synchronized boolean started() {
    return thread != null;
  }

  /** Whether the thread was started and has ended. */
  public synchronized boolean finished() {
    return thread != null && !thread.isAlive();
  }

  /**
   * Asks the loop to end and waits for it at most the stop timeout.
   *
   * @return false when the thread was never started (nothing to wait for)
   */
  public boolean stop() throws InterruptedException {
    requestStop();
    Thread started;
    synchronized (this) {
      started = thread;
    }
    if (started == null) {
      return false;
    }
    if (interruptOnStop) {
      started.interrupt();
    }
    started.join(stopTimeout.toMillis());
    if (started.isAlive()) {
      LOG.error("{} thread did not stop within {} s", name, stopTimeout.toSeconds());
    }
    return true;
  }
}
