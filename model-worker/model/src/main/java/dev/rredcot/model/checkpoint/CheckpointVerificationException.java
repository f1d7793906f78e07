package dev.rredcot.model.checkpoint;

import java.io.IOException;

/** Thrown when a checkpoint directory does not match its manifest or the manifest is unusable. */
public class CheckpointVerificationException extends IOException {

  /** Creates the exception with a message naming the file and what was wrong. */
  public CheckpointVerificationException(String message) {
    super(message);
  }

  /** Creates the exception with a message and its cause. */
  public CheckpointVerificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
