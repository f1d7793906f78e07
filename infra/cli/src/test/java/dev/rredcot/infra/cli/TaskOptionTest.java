package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.testing.RepositoryFiles;
import java.nio.file.Files;
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
            "bench pipeline",
            "eval credit",
            "eval learning")) {
      List<String> args = new ArrayList<>(List.of(command.split(" ")));
      args.add("--help");
      CliRun help = CliRun.execute(RredcotHome.at(tempDir), args.toArray(new String[0]));
      assertEquals(0, help.exitCode(), help.toString());
      assertTrue(help.out().contains("--task"), command + ":\n" + help.out());
      assertTrue(help.out().contains("countdown"), command + ":\n" + help.out());
      assertTrue(help.out().contains("JSONL"), command + ":\n" + help.out());
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
    assertTrue(
        run.err().contains("unknown task 'chess': use arith, countdown or a JSONL family"),
        run.err());
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

  /** A JSONL family the shipped arithmetic policy can write (digits, operators, newline). */
  private Path sums() throws Exception {
    Path file = tempDir.resolve("sums.jsonl");
    Files.writeString(
        file, "{\"question\": \"Q: 2+3\", \"solution\": \"2+3=5\", \"answer\": \"5\"}\n");
    return file;
  }

  @Test
  void theWorkerTakesAJsonlFamilyWhosePolicyCanWriteIt() throws Exception {
    Path store = tempDir.resolve("store");
    InitialPolicy.materialise(new CheckpointStore(store, 8));
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "worker",
            "--task",
            sums().toString(),
            "--store",
            store.toString(),
            "--bootstrap",
            "127.0.0.1:1");
    // Past every task check, it stops only at the broker nobody runs.
    assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
    assertTrue(run.err().contains("127.0.0.1:1"), run.err());
    assertTrue(!run.err().contains("--task"), run.err());
  }

  @Test
  void aJsonlFamilyHasNoShippedPolicySoAnEmptyStoreIsAOneLineUsageError() throws Exception {
    for (String command : List.of("worker", "trainer")) {
      CliRun run =
          CliRun.execute(
              RredcotHome.at(tempDir),
              command,
              "--task",
              sums().toString(),
              "--store",
              tempDir.resolve("empty-" + command).toString(),
              "--bootstrap",
              "127.0.0.1:1");
      assertEquals(2, run.exitCode(), run.toString());
      assertTrue(
          run.err()
              .contains(
                  command
                      + ": the store "
                      + tempDir.resolve("empty-" + command)
                      + " is empty and task family sums has no shipped policy: give --store DIR"
                      + " holding a policy that can write it"),
          run.err());
    }
  }

  @Test
  void theWorkerRefusesAPolicyThatCannotWriteAJsonlFamily() throws Exception {
    Path store = tempDir.resolve("store");
    InitialPolicy.materialise(new CheckpointStore(store, 8));
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "worker",
            "--task",
            RepositoryFiles.path("infra/examples/babyllama-stories.jsonl").toString(),
            "--store",
            store.toString(),
            "--bootstrap",
            "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("cannot write babyllama-stories problems"), run.err());
  }

  @Test
  void demoAndEvalRefuseAJsonlFamilyInOneLineSayingWhatToRunInstead() throws Exception {
    for (String command : List.of("demo", "eval credit", "eval learning")) {
      List<String> args = new ArrayList<>(List.of(command.split(" ")));
      args.addAll(List.of("--task", sums().toString()));
      if (command.startsWith("eval")) {
        args.addAll(List.of("--out", tempDir.resolve("eval").toString()));
      }
      CliRun run = CliRun.execute(RredcotHome.at(tempDir), args.toArray(new String[0]));
      assertEquals(2, run.exitCode(), command + ": " + run);
      assertTrue(
          run.err()
              .contains(
                  command
                      + " runs arith or countdown only (it needs a family's difficulty levels and"
                      + " shipped policy); sums is a JSONL family: run trainer, worker and feeder"
                      + " with --task "),
          command + ": " + run.err());
    }
  }

  @Test
  void theCreditJobRefusesATaskItsFamilyListLeavesOut() throws Exception {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "pipeline",
            "--task",
            sums().toString(),
            "--task-families=arith",
            "--runner=DirectRunner",
            "--bootstrap",
            "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(
        run.err().contains("--task-families=arith does not list --task " + sums()), run.err());
  }
}
