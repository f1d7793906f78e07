package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.chaos.ChaosRun;
import dev.rredcot.infra.chaos.ChaosSettings;
import dev.rredcot.infra.chaos.ChaosSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short chaos run: the loop as processes, the credit job, the trainer, the rollout worker and the
 * broker each SIGKILLed once and restarted; every rollout must end trained, stale or dead-lettered,
 * none trained twice.
 */
@Tag("slow")
class ChaosRunTest {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosRunTest.class);

  @TempDir Path dir;

  @Test
  void everyKindKilledOnceLosesNoRolloutAndTrainsNoneTwice() throws Exception {
    Path runDir = dir.resolve("chaos");
    ChaosSettings settings =
        ChaosSettings.builder(256, 7, runDir)
            .optKillsPerKind(1)
            .optCredit("grpo")
            .optPromptsPerSecond(0.5)
            .optTimeout(Duration.ofMinutes(4))
            .build();
    ChaosSummary summary =
        new ChaosRun(settings)
            .run(
                new ChaosRun.Listener() {
                  @Override
                  public void onStatus(String line) {
                    LOG.info("chaos: {}", line);
                  }

                  @Override
                  public void onTick(ChaosRun.Tick tick) {}
                });
    LOG.info("chaos summary: {}", summary);
    for (String kind : List.of("pipeline", "trainer", "worker", "broker")) {
      assertTrue(summary.kills().get(kind) >= 1, kind + " killed: " + summary.kills());
    }
    assertEquals(256, summary.produced(), "every prompt sampled once under stable ids");
    assertEquals(0, summary.lost(), "lost rollouts, see " + runDir.resolve("lost.tsv"));
    assertEquals(0, summary.trainedTwice());
    assertTrue(summary.complete(), "every rollout accounted for within the timeout");
    assertEquals(summary.produced(), summary.trained() + summary.stale() + summary.deadLetters());
    for (String file : List.of("produced.tsv", "trained.tsv", "dead.tsv", "summary.json")) {
      assertTrue(Files.isRegularFile(runDir.resolve(file)), file);
    }
  }
}
