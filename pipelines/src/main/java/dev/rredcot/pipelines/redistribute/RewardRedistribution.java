package dev.rredcot.pipelines.redistribute;

/**
 * RUDDER reward redistribution (METHOD.md §3): with the terminal value replaced by the verified
 * reward ζ, segment k receives r_k = v_k − v_{k−1}, and the rewards telescope to ζ − v_0. Every
 * result is checked; a violation is an error, never a silent fix.
 */
public final class RewardRedistribution {
  /** Relative tolerance of the telescoping check. */
  public static final double RELATIVE_TOLERANCE = 1e-9;

  private RewardRedistribution() {}

  /** A redistribution that cannot be trusted; {@link #reason()} is the dead-letter reason. */
  public static final class RedistributionException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    RedistributionException(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** The values with v_K replaced by {@code reward}. */
  public static double[] withTerminalReward(double[] values, double reward) {
    if (values.length < 2) {
      throw new RedistributionException(
          "too-few-values", "need K+1 >= 2 boundary values, got " + values.length);
    }
    double[] terminal = values.clone();
    terminal[terminal.length - 1] = reward;
    return terminal;
  }

  /**
   * Segment rewards r_k = v_k − v_{k−1} for values whose last entry already is the reward.
   *
   * @throws RedistributionException reason {@code non-finite-value} or {@code telescoping-violated}
   */
  public static double[] segmentRewards(double[] values) {
    if (values.length < 2) {
      throw new RedistributionException(
          "too-few-values", "need K+1 >= 2 boundary values, got " + values.length);
    }
    double scale = 1.0;
    for (int k = 0; k < values.length; k++) {
      if (!Double.isFinite(values[k])) {
        throw new RedistributionException("non-finite-value", "v_" + k + " = " + values[k]);
      }
      scale = Math.max(scale, Math.abs(values[k]));
    }
    double[] rewards = new double[values.length - 1];
    for (int k = 1; k < values.length; k++) {
      rewards[k - 1] = values[k] - values[k - 1];
    }
    checkTelescopes(values, rewards, scale);
    return rewards;
  }

  /** Throws unless Σ r_k = v_K − v_0 within {@link #RELATIVE_TOLERANCE} × scale. */
  public static void checkTelescopes(double[] values, double[] rewards, double scale) {
    double sum = 0;
    for (double reward : rewards) {
      sum += reward;
    }
    double expected = values[values.length - 1] - values[0];
    if (!(Math.abs(sum - expected) <= RELATIVE_TOLERANCE * scale)) {
      throw new RedistributionException(
          "telescoping-violated",
          "segment rewards sum to " + sum + " but reward - v_0 = " + expected);
    }
  }
}
