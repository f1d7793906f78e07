package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.config.ConfigFile;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.testing.RepositoryFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The configuration file as every command reads it: found in the home or named by {@code --config},
 * below flags, checked key by key against the commands, passed through to the credit job's Beam
 * options, and shown by {@code rredcot config} with sources and secrets masked.
 */
class ConfigCommandTest {
  /** The documented example, relative to the infra module (the tests' working directory). */
  static final Path EXAMPLE = RepositoryFiles.path("infra/deploy/rredcot.example.yaml");

  @TempDir Path tempDir;

  private RredcotHome homeWith(String yaml) throws Exception {
    Files.writeString(tempDir.resolve(ConfigFile.FILE_NAME), yaml);
    return RredcotHome.at(tempDir);
  }

  private static <T> T parse(RredcotHome home, String... args) {
    CommandLine.ParseResult result = RredcotCli.commandLine(home).parseArgs(args);
    while (result.subcommand() != null) {
      result = result.subcommand();
    }
    @SuppressWarnings("unchecked")
    T command = (T) result.commandSpec().userObject();
    return command;
  }

  @Test
  void theDocumentedExampleUsesOnlyKnownKeys() {
    CliRun run = CliRun.execute(RredcotHome.at(tempDir), "--config", EXAMPLE.toString(), "config");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("rredcot.example.yaml (--config)"), run.out());
    assertTrue(run.out().matches("(?s).*--batch-groups\\s+8\\s+file\\n.*"), run.out());
  }

  @Test
  void everyOptionOfEveryCommandIsAKeyOfItsSection() throws Exception {
    // Built from the command tree itself: an option another command adds is a key with no list.
    CommandSpec root = RredcotCli.commandLine(RredcotHome.at(tempDir)).getCommandSpec();
    StringBuilder yaml = new StringBuilder();
    int keys = 0;
    for (CommandSpec command : ConfigFile.allCommands(root)) {
      List<String> path = dev.rredcot.infra.config.ConfigDefaults.commandPath(command);
      if (path.isEmpty() || path.size() > 1) {
        continue;
      }
      List<String> options =
          command.options().stream()
              .filter(ConfigFile::configurable)
              .map(OptionSpec::longestName)
              .map(name -> name.substring(2))
              .collect(Collectors.toList());
      if (options.isEmpty()) {
        continue;
      }
      yaml.append(path.get(0)).append(":\n");
      for (String option : options) {
        yaml.append("  ").append(option).append(": \"x\"\n");
        keys++;
      }
    }
    ConfigFile file =
        ConfigFile.load(Files.writeString(tempDir.resolve("every-option.yaml"), yaml));
    file.validate(root);
    assertTrue(keys > 50, "only " + keys + " options found");
  }

  @Test
  void aFileInTheHomeSetsOptionsAndAFlagOverridesIt() throws Exception {
    RredcotHome home =
        homeWith("bootstrap: from-file:9092\ntrainer:\n  batch-groups: 3\n  keep: 5\n");
    TrainerCommand trainer = parse(home, "trainer", "--keep", "7");
    assertEquals(3, trainer.batchGroups);
    assertEquals(7, trainer.keep);
    PipelineCommand pipeline = parse(home, "pipeline", "--runner=DirectRunner");
    assertTrue(
        pipeline.jobArgs().contains("--bootstrapServers=from-file:9092"), "" + pipeline.jobArgs());
    PipelineCommand flagged =
        parse(home, "pipeline", "--bootstrap", "flag:1", "--runner=DirectRunner");
    assertTrue(flagged.jobArgs().contains("--bootstrapServers=flag:1"), "" + flagged.jobArgs());
  }

  @Test
  void theConfigFlagNamesAnotherFileAnywhereOnTheLine() throws Exception {
    Path file = Files.writeString(tempDir.resolve("other.yaml"), "trainer:\n  batch-groups: 4\n");
    RredcotHome home = homeWith("trainer:\n  batch-groups: 3\n");
    TrainerCommand before = parse(home, "--config", file.toString(), "trainer");
    assertEquals(4, before.batchGroups);
    TrainerCommand after = parse(home, "trainer", "--config", file.toString());
    assertEquals(4, after.batchGroups);
  }

  @Test
  void aMissingNamedFileIsAnError() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir), "--config", tempDir.resolve("nope.yaml").toString(), "status");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("nope.yaml") && run.err().contains("does not exist"), run.err());
  }

  @Test
  void anUnknownKeyIsAnErrorThatNamesIt() throws Exception {
    for (String yaml :
        List.of(
            "trainer:\n  batch-grops: 3\n",
            "bootstap: h:1\n",
            "pipeline:\n  group-timeot-ms: 5\n",
            "pipeline:\n  groupTimeoutMs: 5\n",
            "beam:\n  runner: DirectRunner\n",
            "trainer:\n  parallelism: 2\n")) {
      RredcotHome home = homeWith(yaml);
      CliRun run = CliRun.execute(home, "status");
      assertEquals(2, run.exitCode(), yaml + run);
      String key =
          yaml.contains("batch-grops")
              ? "trainer.batch-grops"
              : yaml.contains("bootstap")
                  ? "bootstap"
                  : yaml.contains("group-timeot-ms")
                      ? "pipeline.group-timeot-ms"
                      : yaml.contains("groupTimeoutMs")
                          ? "pipeline.groupTimeoutMs"
                          : yaml.contains("beam") ? "beam" : "trainer.parallelism";
      assertTrue(run.err().contains("'" + key + "'"), key + " not named in: " + run.err());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      if (key.equals("pipeline.groupTimeoutMs")) {
        // Another spelling of an option: the error gives its one name.
        assertTrue(run.err().contains("write it group-timeout-ms"), run.err());
      }
    }
  }

  @Test
  void beamOptionsOfTheFileReachTheJobAndACommandLineBeamOptionWins() throws Exception {
    RredcotHome home =
        homeWith(
            "group-timeout-ms: 1234\nparallelism: 3\n"
                + "pipeline:\n  parallelism: 4\n  runner: DirectRunner\n");
    PipelineCommand pipeline = parse(home, "pipeline", "--bootstrap", "h:1");
    List<String> args = pipeline.jobArgs();
    assertTrue(args.contains("--groupTimeoutMs=1234"), "" + args);
    assertTrue(args.contains("--parallelism=4"), "" + args);
    // The file's runner counts as given: the CLI does not add the embedded Flink default.
    assertTrue(args.contains("--runner=DirectRunner"), "" + args);
    assertFalse(args.contains("--runner=FlinkRunner"), "" + args);
    PipelineCommand flaggedPipeline =
        parse(home, "pipeline", "--bootstrap", "h:1", "--parallelism", "9");
    List<String> flagged = flaggedPipeline.jobArgs();
    assertTrue(flagged.contains("--parallelism=9"), "" + flagged);
    assertFalse(flagged.contains("--parallelism=4"), "" + flagged);
  }

  @Test
  void theReplaysOwnOptionsWinOverTheFilesBeamOptions() throws Exception {
    // A shared output-topic (the pipeline's) gives way to the replay's own --out.
    RredcotHome home = homeWith("output-topic: from-file\nrunner: DirectRunner\n");
    ReplayCommand replay =
        parse(home, "replay", "--bootstrap", "h:1", "--from", "0:0", "--out", "mine");
    List<String> args = replay.jobArgs();
    assertTrue(args.contains("--outputTopic=mine"), "" + args);
    assertFalse(args.contains("--outputTopic=from-file"), "" + args);
    // On the command line it is a second name for --out: refused, in one line.
    CliRun refused =
        CliRun.execute(home, "replay", "--from", "0:0", "--out", "mine", "--output-topic", "other");
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("--output-topic"), refused.err());
    assertEquals(1, refused.err().strip().lines().count(), refused.err());
  }

  @Test
  void configShowsEveryValueWithItsSourceAndMasksSecrets() throws Exception {
    Path kafka =
        Files.writeString(
            tempDir.resolve("client.properties"),
            "security.protocol=SASL_SSL\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required username=\"u\" password=\"hunter2\";\n"
                + "ssl.truststore.password=changeit\n");
    RredcotHome home =
        homeWith(
            "kafka-config: "
                + kafka
                + "\ntrainer:\n  batch-groups: 3\npipeline:\n  parallelism: 2\n");
    CliRun run = CliRun.execute(home, "config", "trainer", "--keep", "5");
    assertEquals(0, run.exitCode(), run.toString());
    String out = run.out();
    assertTrue(out.matches("(?s).*--batch-groups\\s+3\\s+file\\n.*"), out);
    assertTrue(out.matches("(?s).*--keep\\s+5\\s+flag\\n.*"), out);
    assertTrue(out.matches("(?s).*--staleness\\s+4\\s+default\\n.*"), out);
    assertTrue(out.contains("security.protocol") && out.contains("SASL_SSL"), out);
    assertFalse(out.contains("hunter2"), out);
    assertFalse(out.contains("changeit"), out);
    assertTrue(out.contains("[hidden]"), out);

    CliRun pipeline = CliRun.execute(home, "config", "pipeline", "--runner=DirectRunner");
    assertEquals(0, pipeline.exitCode(), pipeline.toString());
    assertTrue(pipeline.out().matches("(?s).*--parallelism\\s+2\\s+file\\n.*"), pipeline.out());
    assertTrue(
        pipeline.out().matches("(?s).*--runner\\s+DirectRunner\\s+flag\\n.*"), pipeline.out());

    CliRun all = CliRun.execute(home, "config");
    assertEquals(0, all.exitCode(), all.toString());
    for (String command :
        List.of("trainer", "worker", "feeder", "pipeline", "replay", "bench model")) {
      assertTrue(all.out().contains("\n" + command + "\n"), command + " missing: " + all.out());
    }
  }
}
