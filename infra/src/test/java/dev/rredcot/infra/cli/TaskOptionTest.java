package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskOptionTest {
  @TempDir Path tempDir;

  @Test
  void everyCommandThatGeneratesSamplesOrCreditsATaskShowsTaskInItsHelp() {
    for (String command :
        List.of(
            "demo",
            "worker",
            "feeder",
            "trainer",
            "produce-rollouts",
            "pipeline",
            "bench pipeline")) {
      List<String> args = new ArrayList<>(List.of(command.split(" ")));
      args.add("--help");
      CliRun help = CliRun.execute(RredcotHome.at(tempDir), args.toArray(new String[0]));
      assertEquals(0, help.exitCode(), help.toString());
      assertTrue(help.out().contains("--task"), command + ":\n" + help.out());
      assertTrue(help.out().contains("countdown"), command + ":\n" + help.out());
    }
  }

  @Test
  void anUnknownTaskIsAUsageErrorNamingTheKnownOnes() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "produce-rollouts",
            "--task",
            "chess",
            "--count",
            "4",
            "--bootstrap",
            "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("unknown task 'chess': use arith or countdown"), run.err());
  }

  @Test
  void theWorkerRefusesAPolicyThatCannotWriteTheTask() throws Exception {
    Path store = tempDir.resolve("store");
    InitialPolicy.materialise(new CheckpointStore(store, 8));
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "worker",
            "--task",
            "countdown",
            "--store",
            store.toString(),
            "--bootstrap",
            "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("cannot write countdown problems"), run.err());
  }
}
