package dev.rredcot.pipelines.credit;

import java.util.Objects;

/**
 * Why one trace got no credit: the step that refused it, the dead-letter reason (kebab-case, e.g.
 * {@code missing-entropies}) and the error's class and message, as a dead letter records them.
 */
public final class CreditFailure {
  private final CreditStep step;
  private final String reason;
  private final String errorClass;
  private final String errorMessage;

  public CreditFailure(CreditStep step, String reason, String errorClass, String errorMessage) {
    this.step = Objects.requireNonNull(step, "step");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.errorClass = Objects.requireNonNull(errorClass, "errorClass");
    this.errorMessage = Objects.requireNonNull(errorMessage, "errorMessage");
  }

  /** A failure caused by {@code error}. */
  public static CreditFailure of(CreditStep step, String reason, Throwable error) {
    return new CreditFailure(
        step, reason, error.getClass().getName(), String.valueOf(error.getMessage()));
  }

  public CreditStep step() {
    return step;
  }

  /** The dead-letter reason. */
  public String reason() {
    return reason;
  }

  public String errorClass() {
    return errorClass;
  }

  public String errorMessage() {
    return errorMessage;
  }

  @Override
  public String toString() {
    return step.stage() + "/" + reason + ": " + errorMessage;
  }
}
