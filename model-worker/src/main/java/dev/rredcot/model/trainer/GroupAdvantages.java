package dev.rredcot.model.trainer;

/**
 * GRPO's group-relative advantage {@code A_i = (ζ_i − mean(ζ)) / (std(ζ) + ε)} (METHOD.md
 * "Setting"), with the population standard deviation of the group's rewards.
 */
public final class GroupAdvantages {

  /** The ε added to the standard deviation. */
  public static final double DEFAULT_EPSILON = 1e-4;

  private GroupAdvantages() {}

  /**
   * Advantages of one group's samples, in the order of {@code rewards}; all zero when every reward
   * is equal (such a group carries no learning signal).
   *
   * @throws IllegalArgumentException when {@code rewards} is empty or holds a non-finite value
   */
  public static double[] grpo(double[] rewards, double epsilon) {
    if (rewards.length == 0) {
      throw new IllegalArgumentException("a group needs at least one reward");
    }
    double sum = 0;
    for (double r : rewards) {
      if (!Double.isFinite(r)) {
        throw new IllegalArgumentException("reward must be finite, got " + r);
      }
      sum += r;
    }
    double mean = sum / rewards.length;
    double squares = 0;
    for (double r : rewards) {
      squares += (r - mean) * (r - mean);
    }
    double std = Math.sqrt(squares / rewards.length);
    double[] advantages = new double[rewards.length];
    if (std == 0) {
      return advantages;
    }
    for (int i = 0; i < rewards.length; i++) {
      advantages[i] = (rewards[i] - mean) / (std + epsilon);
    }
    return advantages;
  }
}
