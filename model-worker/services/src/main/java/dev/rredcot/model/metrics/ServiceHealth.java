package dev.rredcot.model.metrics;

/** What a service's health endpoints report: whether it lives and whether it can do its work. */
public interface ServiceHealth {
  /** Whether the service's main thread runs (false once it died or ended). */
  boolean live();

  /** Whether the service can do its work now: connected to the broker, its policy loaded. */
  boolean ready();
}
