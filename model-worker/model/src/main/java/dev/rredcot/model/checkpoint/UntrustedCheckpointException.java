package dev.rredcot.model.checkpoint;

/**
 * Thrown when a checkpoint matches its manifest but the manifest is neither signed by a trusted key
 * nor a shipped policy's pinned one ({@link CheckpointTrust}); a verification failure like any
 * other, so every reader refuses, counts and logs it where it refuses corrupt checkpoints.
 */
public class UntrustedCheckpointException extends CheckpointVerificationException {

  /** Creates the exception with a message naming the checkpoint and what was missing. */
  public UntrustedCheckpointException(String message) {
    super(message);
  }

  /** Creates the exception with a message and its cause. */
  public UntrustedCheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
