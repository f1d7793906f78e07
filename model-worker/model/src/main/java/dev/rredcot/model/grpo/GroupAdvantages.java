package dev.rredcot.model.grpo;

/**
 * GRPO's group-relative advantage {@code A_i = (ζ_i − mean(ζ)) / (std(ζ) + ε)} (METHOD.md
 * "Setting"), with the population standard deviation of the group's rewards ({@link
 * GroupStatistics}). The one definition used by the trainer's in-process loop and by the credit
 * pipeline's advantage rules.
 */
public final class GroupAdvantages {

  /**
   * The ε added to the standard deviation: the default of the trainer path and of the pipeline's
   * {@code --advantage-epsilon}. It only guards the division, since a group whose rewards are all
   * equal gets advantage 0 without dividing.
   */
  public static final double DEFAULT_EPSILON = 1e-6;

  private GroupAdvantages() {}

  /**
   * A_i of one sample with reward {@code reward} in a group with {@code statistics}; 0 when every
   * reward of the group is equal (such a group carries no learning signal).
   */
  public static double advantage(double reward, GroupStatistics statistics, double epsilon) {
    if (statistics.allEqual()) {
      return 0;
    }
    return (reward - statistics.mean()) / (statistics.std() + epsilon);
  }

  /**
   * Advantages of one group's samples, in the order of {@code rewards}; all zero when every reward
   * is equal.
   *
   * @throws IllegalArgumentException when {@code rewards} is empty or holds a non-finite value
   */
  public static double[] grpo(double[] rewards, double epsilon) {
    for (double r : rewards) {
      if (!Double.isFinite(r)) {
        throw new IllegalArgumentException("reward must be finite, got " + r);
      }
    }
    GroupStatistics statistics = GroupStatistics.of(rewards);
    double[] advantages = new double[rewards.length];
    for (int i = 0; i < rewards.length; i++) {
      advantages[i] = advantage(rewards[i], statistics, epsilon);
    }
    return advantages;
  }
}
