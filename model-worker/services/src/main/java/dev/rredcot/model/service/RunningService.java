package dev.rredcot.model.service;

import dev.rredcot.model.metrics.ServiceHealth;
import dev.rredcot.model.metrics.ServiceMetrics;

/**
 * A started long-running service (trainer, rollout worker, task feeder) as the process that hosts
 * it sees it: wait for its thread, ask what stopped it, stop it, and read its metrics and health
 * for its HTTP port.
 */
public interface RunningService extends AutoCloseable, ServiceHealth {
  /** Waits until the service's thread has ended. */
  void awaitTermination() throws InterruptedException;

  /** What stopped the service, or null. */
  Throwable failure();

  /** The service's Prometheus metrics. */
  ServiceMetrics metrics();

  /** Stops the service and waits for it. */
  @Override
  void close() throws InterruptedException;
}
