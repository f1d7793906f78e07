package dev.rredcot.model.backend;

/** A backend was asked for something it declared it cannot do. */
public final class UnsupportedCapabilityException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final BackendCapability capability;

  /**
   * @param backend the backend's {@link PolicyBackend#description()}
   * @param capability what is missing
   * @param purpose what needed it, e.g. {@code "--value-estimator=mc"}
   */
  public UnsupportedCapabilityException(
      String backend, BackendCapability capability, String purpose) {
    super(
        purpose
            + " needs capability "
            + capability.optionValue()
            + ", which the policy backend "
            + backend
            + " does not have");
    this.capability = capability;
  }

  /** The capability that is missing. */
  public BackendCapability capability() {
    return capability;
  }
}
