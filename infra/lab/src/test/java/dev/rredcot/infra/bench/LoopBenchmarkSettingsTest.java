package dev.rredcot.infra.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loop benchmark's arms: a credit preset, optionally with the credit job's delivery guarantee.
 */
class LoopBenchmarkSettingsTest {

  @Test
  void aPresetAloneWritesAtLeastOnce() {
    assertEquals(
        new LoopBenchmarkSettings.Arm("rredcot", "rredcot", "at-least-once"),
        LoopBenchmarkSettings.arm("rredcot"));
  }

  @Test
  void aGuaranteeAfterTheAtIsTheCreditJobs() {
    assertEquals(
        new LoopBenchmarkSettings.Arm("grpo@exactly-once", "grpo", "exactly-once"),
        LoopBenchmarkSettings.arm("grpo@exactly-once"));
  }

  @Test
  void unknownPresetsAndGuaranteesAreRefusedWithTheirName() {
    IllegalArgumentException preset =
        assertThrows(IllegalArgumentException.class, () -> LoopBenchmarkSettings.arm("ppo"));
    assertTrue(preset.getMessage().contains("ppo"), preset.getMessage());
    IllegalArgumentException guarantee =
        assertThrows(IllegalArgumentException.class, () -> LoopBenchmarkSettings.arm("grpo@twice"));
    assertTrue(guarantee.getMessage().contains("twice"), guarantee.getMessage());
  }

  @Test
  void theSettingsCheckEveryArm() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new LoopBenchmarkSettings(
                Path.of("out"),
                List.of("grpo", "rredcot@sometimes"),
                1,
                Duration.ofSeconds(60),
                1,
                Duration.ofSeconds(600)));
  }
}
