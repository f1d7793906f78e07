package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.chaos.ChaosRun;
import dev.rredcot.infra.chaos.ChaosSettings;
import dev.rredcot.infra.chaos.ChaosSummary;
import dev.rredcot.infra.chaos.ProcessKind;
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
 * Short chaos runs: the loop as processes, each kind SIGKILLed and restarted, alone and two at
 * once; every prompt of the set must reach the topic, every rollout end trained, stale or
 * dead-lettered, none trained twice.
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
            .optKinds(
                List.of(
                    ProcessKind.PIPELINE,
                    ProcessKind.TRAINER,
                    ProcessKind.WORKER,
                    ProcessKind.BROKER))
            .optCredit("grpo")
            .optPromptsPerSecond(0.5)
            .optTimeout(Duration.ofMinutes(4))
            .build();
    ChaosSummary summary = run(settings);
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

  // The credit job on a standalone Flink cluster of the run's own; the feeder killed alone, then
  // the TaskManager and the trainer within 3 s of each other, each restarted as an operator would.
  @Test
  void aFeederKillAndATaskManagerWithTrainerOverlapLoseNoPromptAndNoRollout() throws Exception {
    Path runDir = dir.resolve("chaos-cluster");
    ChaosSettings settings =
        ChaosSettings.builder(128, 5, runDir)
            .optFlinkCluster(Path.of(System.getProperty("rredcot.jobJar")))
            .optKinds(List.of(ProcessKind.FEEDER))
            .optKillsPerKind(1)
            .optOverlapPairs(List.of(List.of(ProcessKind.TASKMANAGER, ProcessKind.TRAINER)))
            .optCredit("grpo")
            .optPromptsPerSecond(0.5)
            .optTimeout(Duration.ofMinutes(8))
            .build();
    ChaosSummary summary = run(settings);
    assertEquals("cluster", summary.flink());
    assertEquals(List.of("taskmanager+trainer"), summary.overlaps());
    for (String kind : List.of("feeder", "taskmanager", "trainer")) {
      assertEquals(1, summary.kills().get(kind), kind + " killed: " + summary.kills());
    }
    assertEquals(16, summary.promptsOnTopic(), "every prompt of the set on the topic");
    assertEquals(0, summary.promptsMissing());
    assertEquals(128, summary.produced(), "every prompt sampled once under stable ids");
    assertEquals(0, summary.lost(), "lost rollouts, see " + runDir.resolve("lost.tsv"));
    assertEquals(0, summary.trainedTwice());
    assertTrue(summary.complete(), "every rollout accounted for within the timeout");
    assertEquals(summary.produced(), summary.trained() + summary.stale() + summary.deadLetters());
    assertTrue(summary.recoveryS().get("taskmanager") != null, "the credit job credits again");
  }

  private static ChaosSummary run(ChaosSettings settings) throws Exception {
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
    return summary;
  }
}
