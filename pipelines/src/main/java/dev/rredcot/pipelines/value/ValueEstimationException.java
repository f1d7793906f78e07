package dev.rredcot.pipelines.value;

/** A trace whose values cannot be estimated, with the dead-letter reason (kebab-case). */
public final class ValueEstimationException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  public ValueEstimationException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** Machine-readable reason, e.g. {@code trace-too-long}. */
  public String reason() {
    return reason;
  }
}
