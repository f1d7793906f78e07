package dev.rredcot.pipelines.advantage;

import java.io.Serializable;
import java.util.Collection;

/**
 * Mean and population standard deviation of the verified rewards of one GRPO group, over the
 * samples that actually arrived. Population (not sample) deviation is used, as in GRPO
 * implementations that normalise by the group's own spread; a group of one has deviation 0.
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
    if (rewards.isEmpty()) {
      throw new IllegalArgumentException("a group needs at least one reward");
    }
    double sum = 0;
    for (double reward : rewards) {
      sum += reward;
    }
    double mean = sum / rewards.size();
    double squares = 0;
    for (double reward : rewards) {
      squares += (reward - mean) * (reward - mean);
    }
    return new GroupStatistics(mean, Math.sqrt(squares / rewards.size()), rewards.size());
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
