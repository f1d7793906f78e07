package dev.rredcot.infra.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap confidence interval of a statistic over units (rollouts): the units are
 * resampled with replacement {@code resamples} times with a seeded RNG, the statistic is computed
 * on each resample, and the interval is the {@code (1 − level)/2} and {@code (1 + level)/2}
 * quantiles of those values. Resamples on which the statistic is undefined (NaN, e.g. a constant
 * side) are left out; {@link #definedResamples()} says how many counted.
 *
 * @param low lower end (NaN when no resample gave a defined statistic)
 * @param high upper end
 * @param level coverage, e.g. 0.95
 * @param definedResamples resamples that gave a finite statistic
 */
public record BootstrapInterval(double low, double high, double level, int definedResamples) {

  /** The interval of {@code statistic} over resamples of {@code units}. */
  public static <T> BootstrapInterval of(
      List<T> units, ToDoubleFunction<List<T>> statistic, int resamples, double level, long seed) {
    if (resamples < 1) {
      throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
    }
    if (!(level > 0 && level < 1)) {
      throw new IllegalArgumentException("level must be in (0, 1), got " + level);
    }
    if (units.isEmpty()) {
      return new BootstrapInterval(Double.NaN, Double.NaN, level, 0);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] values = new double[resamples];
    int defined = 0;
    List<T> resample = new ArrayList<>(units.size());
    for (int r = 0; r < resamples; r++) {
      resample.clear();
      for (int i = 0; i < units.size(); i++) {
        resample.add(units.get(random.nextInt(units.size())));
      }
      double value = statistic.applyAsDouble(resample);
      if (Double.isFinite(value)) {
        values[defined++] = value;
      }
    }
    if (defined == 0) {
      return new BootstrapInterval(Double.NaN, Double.NaN, level, 0);
    }
    double[] sorted = Arrays.copyOf(values, defined);
    Arrays.sort(sorted);
    return new BootstrapInterval(
        quantile(sorted, (1 - level) / 2), quantile(sorted, (1 + level) / 2), level, defined);
  }

  /** Width {@code high − low}. */
  public double width() {
    return high - low;
  }

  /** Whether {@code value} lies in [low, high]. */
  public boolean contains(double value) {
    return value >= low && value <= high;
  }

  /** Linear-interpolated quantile of sorted values. */
  static double quantile(double[] sorted, double probability) {
    double position = probability * (sorted.length - 1);
    int below = (int) Math.floor(position);
    int above = Math.min(sorted.length - 1, below + 1);
    double fraction = position - below;
    return sorted[below] + fraction * (sorted[above] - sorted[below]);
  }
}
