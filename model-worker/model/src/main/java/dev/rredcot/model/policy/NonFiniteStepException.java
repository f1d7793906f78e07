package dev.rredcot.model.policy;

/**
 * A training step whose loss or gradient norm is not finite: nothing was applied to the weights or
 * the optimiser state, so the caller may skip the batch and go on with the same policy.
 */
public final class NonFiniteStepException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String reasonLabel;

  NonFiniteStepException(String reasonLabel, String message) {
    super(message);
    this.reasonLabel = reasonLabel;
  }

  /** {@code non-finite-gradient} or {@code non-finite-loss}, for counters and dead letters. */
  public String reasonLabel() {
    return reasonLabel;
  }
}
