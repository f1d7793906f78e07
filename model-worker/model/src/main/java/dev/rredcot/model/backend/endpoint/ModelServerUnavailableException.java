package dev.rredcot.model.backend.endpoint;

/**
 * The model server could not be reached or kept failing after every retry; the credit stages turn
 * it into the dead-letter reason {@link #REASON}.
 */
public final class ModelServerUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Dead-letter reason. */
  public static final String REASON = "model-server-unavailable";

  public ModelServerUnavailableException(String message, Throwable cause) {
    super(REASON + ": " + message, cause);
  }
}
