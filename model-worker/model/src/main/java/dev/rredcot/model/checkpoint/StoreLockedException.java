package dev.rredcot.model.checkpoint;

import java.io.IOException;

/** Thrown when another writer (usually another trainer) holds a checkpoint store's lock. */
public class StoreLockedException extends IOException {

  /** Creates the exception with a message naming the store and the lock file. */
  public StoreLockedException(String message) {
    super(message);
  }
}
