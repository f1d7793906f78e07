package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class BootstrapIntervalTest {
  private static final ToDoubleFunction<List<Double>> MEAN =
      sample -> sample.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);

  private static List<Double> gaussian(int n, long seed) {
    Random random = new Random(seed);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(3 + random.nextGaussian());
    }
    return values;
  }

  @Test
  void intervalCoversThePointEstimate() {
    List<Double> data = gaussian(40, 1);
    BootstrapInterval interval = BootstrapInterval.of(data, MEAN, 2000, 0.95, 7);
    assertTrue(interval.contains(MEAN.applyAsDouble(data)), interval.toString());
    assertEquals(2000, interval.definedResamples());
  }

  @Test
  void intervalShrinksWithMoreUnits() {
    BootstrapInterval small = BootstrapInterval.of(gaussian(20, 2), MEAN, 2000, 0.95, 7);
    BootstrapInterval large = BootstrapInterval.of(gaussian(2000, 2), MEAN, 2000, 0.95, 7);
    // Width scales as 1/sqrt(n): 10x fewer units, about 10x wider.
    assertTrue(large.width() * 4 < small.width(), small + " vs " + large);
  }

  @Test
  void sameSeedGivesSameInterval() {
    List<Double> data = gaussian(30, 3);
    assertEquals(
        BootstrapInterval.of(data, MEAN, 500, 0.95, 11),
        BootstrapInterval.of(data, MEAN, 500, 0.95, 11));
  }

  @Test
  void resamplesWithUndefinedStatisticAreLeftOut() {
    // The statistic is undefined on every resample: the interval says so instead of inventing one.
    BootstrapInterval interval =
        BootstrapInterval.of(List.of(1.0, 1.0), sample -> Double.NaN, 100, 0.95, 1);
    assertEquals(0, interval.definedResamples());
    assertTrue(Double.isNaN(interval.low()));
  }
}
