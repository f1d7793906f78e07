package dev.rredcot.model.grpo;

import java.io.Serializable;
import java.util.Collection;

/**
 * Mean and population standard deviation of the verified rewards of one GRPO group, over the
 * samples that actually arrived. Population (not sample) deviation is used, as in GRPO
 * implementations that normalise by the group's own spread; a group of one, and any group whose
 * rewards are all equal, has deviation exactly 0 (so {@link GroupAdvantages} can tell a group
 * without signal from one with a tiny spread, whatever the rounding of the mean).
 */
public final class GroupStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double mean;
  private final double std;
  private final int count;

  public GroupStatistics(double mean, double std, int count) {
    this.mean = mean;
    this.std = std;
    this.count = count;
  }

  /** Statistics of the given rewards; throws on an empty collection. */
  public static GroupStatistics of(Collection<Double> rewards) {
    return of(rewards.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** Statistics of the given rewards; throws on an empty array. */
  public static GroupStatistics of(double[] rewards) {
    if (rewards.length == 0) {
      throw new IllegalArgumentException("a group needs at least one reward");
    }
    double sum = 0;
    boolean allEqual = true;
    for (double reward : rewards) {
      sum += reward;
      allEqual &= Double.compare(reward, rewards[0]) == 0;
    }
    double mean = sum / rewards.length;
    if (allEqual) {
      // Equal rewards can still leave a rounding residue of order 1e-17 in (reward − mean).
      return new GroupStatistics(mean, 0, rewards.length);
    }
    double squares = 0;
    for (double reward : rewards) {
      squares += (reward - mean) * (reward - mean);
    }
    return new GroupStatistics(mean, Math.sqrt(squares / rewards.length), rewards.length);
  }

  public double mean() {
    return mean;
  }

  public double std() {
    return std;
  }

  /** Number of samples the statistics cover. */
  public int count() {
    return count;
  }

  /** Whether the group carries no learning signal: every reward is the same (std = 0). */
  public boolean allEqual() {
    return std == 0;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof GroupStatistics)) {
      return false;
    }
    GroupStatistics that = (GroupStatistics) other;
    return Double.compare(mean, that.mean) == 0
        && Double.compare(std, that.std) == 0
        && count == that.count;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(mean) * 31 + Double.hashCode(std) * 7 + count;
  }

  @Override
  public String toString() {
    return "GroupStatistics{mean=" + mean + ", std=" + std + ", count=" + count + "}";
  }
}
