package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainedRolloutLogTest {

  @TempDir Path dir;

  @Test
  void appendsOneLinePerRolloutUnderAHeader() throws IOException {
    Path file = dir.resolve("sub/trained.tsv");
    try (TrainedRolloutLog log = TrainedRolloutLog.open(file, 0)) {
      log.append(1, TrainerFixtures.group("p", 0, 2));
    }
    try (TrainedRolloutLog log = TrainedRolloutLog.open(file, 1)) {
      log.append(2, List.of(TrainerFixtures.rollout("q", 1, 0, 2)));
    }
    assertEquals(
        List.of(
            TrainedRolloutLog.HEADER,
            "1\tp@v0#0/0\tp@v0#0\t0",
            "1\tp@v0#0/1\tp@v0#0\t0",
            "2\tq@v1#0/0\tq@v1#0\t1"),
        Files.readAllLines(file));
  }

  @Test
  void openCutsLinesNewerThanTheResumedVersionAndATornLine() throws IOException {
    Path file = dir.resolve("trained.tsv");
    Files.writeString(
        file, TrainedRolloutLog.HEADER + "\n1\ta/0\ta\t0\n2\tb/0\tb\t1\n3\tc/0\tc\t2\n4\td/");
    try (TrainedRolloutLog log = TrainedRolloutLog.open(file, 2)) {
      log.append(3, List.of(TrainerFixtures.rollout("e", 2, 0, 1)));
    }
    assertEquals(
        List.of(TrainedRolloutLog.HEADER, "1\ta/0\ta\t0", "2\tb/0\tb\t1", "3\te@v2#0/0\te@v2#0\t2"),
        Files.readAllLines(file));
  }

  @Test
  void refusesAFileThatIsNotATrainedRolloutsLog() throws IOException {
    Path file = dir.resolve("other.tsv");
    Files.writeString(file, "something else\n");
    assertThrows(IOException.class, () -> TrainedRolloutLog.open(file, 0));
  }
}
