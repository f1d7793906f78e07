package dev.rredcot.model.service;

/**
 * A service stopped waiting for the broker because it was asked to stop: not a failure, the work in
 * hand was not acknowledged and is left for the next start (nothing was committed for it).
 */
public final class StopRequestedException extends Exception {
  public StopRequestedException(String message) {
    super(message);
  }
}
