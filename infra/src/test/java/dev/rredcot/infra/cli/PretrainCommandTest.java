package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointStore;
import java.nio.file.Path;
import java.util.List;
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
  void benchWithoutASubcommandListsTheBenchmarks() {
    CliRun run = CliRun.execute(RredcotHome.at(tempDir), "bench");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("model"), run.out());
  }
}
