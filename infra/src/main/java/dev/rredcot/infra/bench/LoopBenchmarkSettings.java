package dev.rredcot.infra.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link LoopBenchmark}: where it writes, which credit presets it runs (one arm each,
 * in order), how many rollout workers, how long the measured window is, and the prompts' seed.
 *
 * @param outputDir the run directory; each arm runs in {@code outputDir/<credit>}
 * @param credits the credit job's presets, one arm each (e.g. {@code grpo}, {@code rredcot})
 * @param workers rollout worker processes
 * @param window the measured time, from the first trained batch on
 * @param seed the seed of the feeder's prompts (the same for every arm)
 * @param warmUpTimeout the arm fails when no batch is trained within this time from its start
 */
public record LoopBenchmarkSettings(
    Path outputDir,
    List<String> credits,
    int workers,
    Duration window,
    long seed,
    Duration warmUpTimeout) {

  /**
   * @throws IllegalArgumentException when no credit is named, a credit is named twice, or a count
   *     or duration is not positive
   */
  public LoopBenchmarkSettings {
    credits = List.copyOf(credits);
    if (credits.isEmpty() || credits.stream().distinct().count() != credits.size()) {
      throw new IllegalArgumentException("name each credit preset once, at least one");
    }
    if (workers < 1 || window.isNegative() || window.isZero() || warmUpTimeout.isZero()) {
      throw new IllegalArgumentException(
          "--workers must be at least 1, the window and the warm-up timeout positive");
    }
  }
}
