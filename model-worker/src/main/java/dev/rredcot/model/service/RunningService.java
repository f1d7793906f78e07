package dev.rredcot.model.service;

/**
 * A started long-running service (trainer, rollout worker, task feeder) as the process that hosts
 * it sees it: wait for its thread, ask what stopped it, stop it.
 */
public interface RunningService extends AutoCloseable {
  /** Waits until the service's thread has ended. */
  void awaitTermination() throws InterruptedException;

  /** What stopped the service, or null. */
  Throwable failure();

  /** Stops the service and waits for it. */
  @Override
  void close() throws InterruptedException;
}
