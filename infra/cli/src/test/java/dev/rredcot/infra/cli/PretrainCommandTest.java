package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointStore;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainCommandTest {
  @TempDir Path tempDir;

  @Test
  @Tag("slow")
  void writesAVerifiedCheckpointOfTheRequestedVersion() throws Exception {
    Path store = tempDir.resolve("store");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "pretrain",
            "--store",
            store.toString(),
            "--version",
            "3",
            "--steps",
            "10");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("pretrain: 10 steps"), run.out());
    CheckpointStore written = new CheckpointStore(store, 5);
    assertEquals(List.of(3L), written.versions());
    written.load(3); // verifies every digest
  }

  @Test
  void countdownContinuesTheShippedPolicyAtTheNamedLevel() throws Exception {
    Path store = tempDir.resolve("countdown");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "pretrain",
            "--task",
            "countdown",
            "--level",
            "forks",
            "--from",
            "shipped",
            "--learning-rate",
            "1e-9",
            "--steps",
            "4",
            "--store",
            store.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("held-out forks instances"), run.out());
    // The shipped policy already writes forks traces: a loss far below random weights' (about 3).
    Matcher loss = Pattern.compile("final loss ([0-9.]+)").matcher(run.out());
    assertTrue(loss.find(), run.out());
    assertTrue(Double.parseDouble(loss.group(1)) < 1.0, run.out());
    new CheckpointStore(store, 5).load(0);
  }

  @Test
  void optionsOfTheOtherFamilyAndUnknownLevelsAreUsageErrors() {
    CliRun arithLevel =
        CliRun.execute(RredcotHome.at(tempDir), "pretrain", "--level", "deep", "--steps", "1");
    assertEquals(2, arithLevel.exitCode(), arithLevel.toString());
    assertTrue(arithLevel.err().contains("--level is a countdown option"), arithLevel.err());
    CliRun unknown =
        CliRun.execute(
            RredcotHome.at(tempDir), "pretrain", "--task", "countdown", "--level", "hard");
    assertEquals(2, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("deep"), unknown.err());
    CliRun noStore =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "pretrain",
            "--task",
            "countdown",
            "--from",
            tempDir.resolve("absent").toString());
    assertEquals(2, noStore.exitCode(), noStore.toString());
    assertTrue(noStore.err().contains("no checkpoint store"), noStore.err());
  }

  @Test
  void benchWithoutASubcommandListsTheBenchmarks() {
    CliRun run = CliRun.execute(RredcotHome.at(tempDir), "bench");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("model"), run.out());
  }
}
