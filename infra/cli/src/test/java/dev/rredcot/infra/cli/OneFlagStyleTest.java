package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.config.ConfigFile;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.pipelines.BeamFlags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One flag style: every option of every command, every option of the credit job and every key of
 * the configuration file is kebab-case with one name per concept; the documentation names only
 * options that exist under that name; and a bad option is a one-line usage error.
 */
class OneFlagStyleTest {
  private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  /**
   * Job flags that are also options of the credit-job commands themselves: the same concept, set by
   * the command (and passed to the job under that one name).
   */
  private static final Set<String> JOB_FLAGS_THE_COMMANDS_OWN =
      Set.of(
          "bootstrap",
          "kafka-config",
          "max-records",
          "credit",
          "policy-version",
          "model",
          "model-tokenizer",
          "input-files");

  /**
   * Options of other commands that share a name with a job flag; each is that same concept, so a
   * shared key in the config file means one thing.
   */
  private static final Set<String> SAME_CONCEPT_ELSEWHERE =
      Set.of(
          "bootstrap",
          "kafka-config",
          "max-records",
          "credit",
          "policy-version",
          "model",
          "model-tokenizer",
          "input-files",
          "store",
          "trusted-keys",
          "parallelism",
          "task-families",
          "max-tokens",
          "group-size",
          "seed",
          "grpo-mix",
          "group-timeout-ms",
          "value-scale");

  /** Options of other programs the documentation shows (kubectl, kafka tools, the JVM, podman). */
  private static final Set<String> OTHER_PROGRAMS =
      Set.of(
          "add",
          "add-opens",
          "add-scram",
          "allow-principal",
          "build-arg",
          "command-config",
          "describe",
          "dry-run",
          "from-file",
          "isolation-level",
          "operation",
          "previous");

  /**
   * Spellings the documentation shows on purpose: typos and refused spellings in error examples,
   * and Beam's names of its own and the runner's options, which are aliases.
   */
  private static final Set<String> SHOWN_AS_EXAMPLES =
      Set.of(
          "batch-grops",
          "group-timeot-ms",
          "checkpointDir",
          "flinkMaster",
          "checkpointingInterval");

  @TempDir Path tempDir;

  @Test
  void everyOptionOfEveryCommandIsKebabCaseUnderOneLongName() {
    CommandSpec root = cli().getCommandSpec();
    int options = 0;
    for (CommandSpec command : ConfigFile.allCommands(root)) {
      for (OptionSpec option : command.options()) {
        List<String> longNames =
            List.of(option.names()).stream().filter(name -> name.startsWith("--")).toList();
        assertEquals(1, longNames.size(), command.qualifiedName() + " " + List.of(option.names()));
        String name = longNames.get(0).substring(2);
        assertTrue(KEBAB.matcher(name).matches(), command.qualifiedName() + " --" + name);
        options++;
      }
    }
    assertTrue(options > 100, "only " + options + " options");
  }

  @Test
  void everyJobFlagIsKebabCaseAndTheCommandsNameForTheSameConcept() {
    Set<String> flags = BeamFlags.flags();
    for (String flag : flags) {
      assertTrue(KEBAB.matcher(flag).matches(), "--" + flag);
    }
    // The job's names for concepts the other commands name: theirs, not a second one.
    assertEquals("bootstrap", BeamFlags.flag("bootstrapServers"));
    assertEquals("store", BeamFlags.flag("checkpointDir"));
    assertFalse(flags.contains("bootstrap-servers"));
    assertFalse(flags.contains("checkpoint-dir"));
    for (String command : List.of("pipeline", "replay")) {
      CommandSpec spec = cli().getSubcommands().get(command).getCommandSpec();
      assertTrue(ConfigFile.takesBeamOptions(spec), command);
      Set<String> shared = new TreeSet<>(ConfigFile.configurableOptions(spec));
      shared.retainAll(flags);
      assertTrue(
          JOB_FLAGS_THE_COMMANDS_OWN.containsAll(shared),
          command + " options that are also job flags: " + shared);
    }
    Set<String> elsewhere = new TreeSet<>();
    for (CommandSpec command : ConfigFile.allCommands(cli().getCommandSpec())) {
      elsewhere.addAll(ConfigFile.configurableOptions(command));
    }
    elsewhere.retainAll(flags);
    assertTrue(
        SAME_CONCEPT_ELSEWHERE.containsAll(elsewhere),
        "options named like a job flag for another concept? " + elsewhere);
  }

  @Test
  void everyKeyOfTheExampleConfigurationIsAnOptionsOneName() throws IOException {
    Path example = RepositoryFiles.path("infra/deploy/rredcot.example.yaml");
    Map<String, Object> document;
    try (var reader = Files.newBufferedReader(example)) {
      document = new Yaml().load(reader);
    }
    List<String> keys = new ArrayList<>();
    collectKeys("", document, keys);
    for (String key : keys) {
      String last = key.substring(key.lastIndexOf('.') + 1);
      assertTrue(KEBAB.matcher(last).matches(), key);
    }
    ConfigFile.load(example).validate(cli().getCommandSpec());
  }

  @Test
  void theReadmeAndOperationsNameOnlyOptionsThatExistUnderThatName() throws IOException {
    Set<String> known = new TreeSet<>(BeamFlags.flags());
    for (CommandSpec command : ConfigFile.allCommands(cli().getCommandSpec())) {
      for (OptionSpec option : command.options()) {
        for (String name : option.names()) {
          known.add(name.replaceFirst("^-+", ""));
        }
      }
    }
    Map<String, String> unknown = new TreeMap<>();
    Pattern flag = Pattern.compile("(?<![A-Za-z0-9_-])--([A-Za-z][A-Za-z0-9-]*)");
    for (Path doc :
        List.of(RepositoryFiles.path("README.md"), RepositoryFiles.path("docs/OPERATIONS.md"))) {
      List<String> lines = Files.readAllLines(doc);
      for (int i = 0; i < lines.size(); i++) {
        Matcher matcher = flag.matcher(lines.get(i));
        while (matcher.find()) {
          String name = matcher.group(1);
          if (!known.contains(name)
              && !OTHER_PROGRAMS.contains(name)
              && !SHOWN_AS_EXAMPLES.contains(name)) {
            unknown.putIfAbsent("--" + name, doc.getFileName() + ":" + (i + 1));
          }
        }
      }
    }
    assertEquals(Map.of(), unknown, "options the CLI does not have under that name");
  }

  @Test
  void aMistypedJobOptionIsOneLineNamingTheClosestFlag() {
    CliRun run = run("pipeline", "--bootstrap", "h:1", "--group-timeot-ms=5000");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(
        "rredcot pipeline: unknown option --group-timeot-ms (did you mean --group-timeout-ms?);"
            + " `rredcot pipeline --beam-help` lists the job's options",
        run.err().strip());
  }

  @Test
  void oneOptionGivenUnderTwoNamesIsOneLine() {
    CliRun run =
        run("pipeline", "--bootstrap", "h:1", "--flink-master=a:8081", "--flinkMaster=b:8081");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(
        "rredcot pipeline: --flink-master and --flinkMaster are one option: give it once;"
            + " `rredcot pipeline --beam-help` lists the job's options",
        run.err().strip());
  }

  @Test
  void everyOtherUsageErrorIsOneLineToo() {
    for (List<String> line :
        List.of(
            List.of("pipeline", "--max-records", "1", "--max-records", "2"),
            List.of("pipeline", "--checkpointDir=/s"),
            List.of("worker", "--no-such-flag"),
            List.of("trainer", "--batch-groups", "many"),
            List.of("replay", "--from", "0:0", "--out", "t", "--from-offsets=0:1"),
            List.of("bench", "pipeline", "--out", "x", "--groupTimeoutMs=5"))) {
      CliRun run = run(line.toArray(String[]::new));
      assertEquals(2, run.exitCode(), line + ": " + run);
      assertEquals(1, run.err().strip().lines().count(), line + ": " + run.err());
      assertFalse(run.err().contains("Usage:"), run.err());
    }
  }

  private CliRun run(String... args) {
    return CliRun.execute(RredcotHome.at(tempDir), args);
  }

  private picocli.CommandLine cli() {
    return RredcotCli.commandLine(RredcotHome.at(tempDir));
  }

  private static void collectKeys(String prefix, Map<?, ?> map, List<String> keys) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = prefix + entry.getKey();
      keys.add(key);
      if (entry.getValue() instanceof Map<?, ?> inner) {
        collectKeys(key + ".", inner, keys);
      }
    }
  }
}
