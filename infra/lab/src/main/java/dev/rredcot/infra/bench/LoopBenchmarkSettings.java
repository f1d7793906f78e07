package dev.rredcot.infra.bench;

import dev.rredcot.infra.loop.LoopShape;
import dev.rredcot.pipelines.CreditChoice;
import dev.rredcot.pipelines.kafka.DeliveryGuarantee;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link LoopBenchmark}: where it writes, which credit presets it runs (one arm each,
 * in order), how many rollout workers, how long the measured window is, and the prompts' seed.
 *
 * @param outputDir the run directory; each arm runs in {@code outputDir/<credit>}
 * @param credits the arms, one each: a credit preset (e.g. {@code grpo}, {@code rredcot}), written
 *     at least once, or {@code <preset>@<delivery guarantee>} (e.g. {@code rredcot@exactly-once})
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
   * @throws IllegalArgumentException when no credit is named, a credit is named twice or is no
   *     preset (with a delivery guarantee), or a count or duration is not positive
   */
  public LoopBenchmarkSettings {
    credits = List.copyOf(credits);
    if (credits.isEmpty() || credits.stream().distinct().count() != credits.size()) {
      throw new IllegalArgumentException("name each credit preset once, at least one");
    }
    credits.forEach(LoopBenchmarkSettings::arm);
    if (workers < 1 || window.isNegative() || window.isZero() || warmUpTimeout.isZero()) {
      throw new IllegalArgumentException(
          "--workers must be at least 1, the window and the warm-up timeout positive");
    }
  }

  /**
   * An arm of the benchmark.
   *
   * @param name the arm's name, as given (its directory and its key in the summary)
   * @param credit the credit job's {@code --credit} preset
   * @param deliveryGuarantee the credit job's {@code --delivery-guarantee}
   */
  public record Arm(String name, String credit, String deliveryGuarantee) {}

  /**
   * The arm {@code name} names: {@code <preset>} (at least once) or {@code <preset>@<guarantee>}.
   *
   * @throws IllegalArgumentException for an unknown preset or guarantee, naming it
   */
  public static Arm arm(String name) {
    int at = name.indexOf('@');
    String credit = at < 0 ? name : name.substring(0, at);
    String guarantee = at < 0 ? LoopShape.AT_LEAST_ONCE : name.substring(at + 1);
    CreditChoice.Preset.fromOption(credit);
    DeliveryGuarantee.fromOption(guarantee);
    return new Arm(name, credit, guarantee);
  }
}
