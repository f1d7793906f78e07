package dev.rredcot.infra.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosSettingsTest {
  private static final Path RUN = Path.of("/tmp/chaos-settings-test");
  private static final Path JOB_JAR = Path.of("/tmp/job.jar");

  @Test
  void killsEveryProcessOfTheLoopByDefaultTheCreditJobsOwnKindWhereItRuns() {
    assertEquals(
        List.of(
            ProcessKind.PIPELINE,
            ProcessKind.TRAINER,
            ProcessKind.WORKER,
            ProcessKind.BROKER,
            ProcessKind.FEEDER),
        ChaosSettings.builder(64, 1, RUN).build().kinds());
    ChaosSettings cluster = ChaosSettings.builder(64, 1, RUN).optFlinkCluster(JOB_JAR).build();
    assertTrue(cluster.onFlinkCluster());
    assertEquals(ProcessKind.TASKMANAGER, cluster.kinds().get(0));
  }

  @Test
  void refusesATaskManagerKillWithoutAClusterAndAPipelineKillOnOne() {
    IllegalArgumentException noCluster =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ChaosSettings.builder(64, 1, RUN)
                    .optKinds(List.of(ProcessKind.TASKMANAGER))
                    .build());
    assertTrue(noCluster.getMessage().contains("--flink cluster"), noCluster.getMessage());
    IllegalArgumentException onCluster =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ChaosSettings.builder(64, 1, RUN)
                    .optFlinkCluster(JOB_JAR)
                    .optOverlapPairs(List.of(List.of(ProcessKind.PIPELINE, ProcessKind.BROKER)))
                    .build());
    assertTrue(onCluster.getMessage().contains("taskmanager"), onCluster.getMessage());
  }

  @Test
  void anOverlapIsTwoDifferentKindsAndNamedPairsSetTheirCount() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ChaosSettings.builder(64, 1, RUN)
                .optOverlapPairs(List.of(List.of(ProcessKind.BROKER, ProcessKind.BROKER)))
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ChaosSettings.builder(64, 1, RUN)
                .optOverlapPairs(List.of(List.of(ProcessKind.BROKER)))
                .build());
    ChaosSettings named =
        ChaosSettings.builder(64, 1, RUN)
            .optOverlaps(5)
            .optOverlapPairs(
                List.of(
                    List.of(ProcessKind.PIPELINE, ProcessKind.BROKER),
                    List.of(ProcessKind.TRAINER, ProcessKind.WORKER)))
            .build();
    assertEquals(2, named.overlaps());
  }

  @Test
  void parsesKindsByTheirLabelAndNamesTheKindsThereAre() {
    assertEquals(ProcessKind.TASKMANAGER, ProcessKind.parse("TaskManager"));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> ProcessKind.parse("jobmanager"));
    assertTrue(unknown.getMessage().contains("taskmanager, trainer"), unknown.getMessage());
  }
}
