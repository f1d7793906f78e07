package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PipelineCommandTest {
  @TempDir Path tempDir;

  private PipelineCommand parse(String... args) {
    CommandLine.ParseResult result =
        RredcotCli.commandLine(RredcotHome.at(tempDir)).parseArgs(args);
    return (PipelineCommand) result.subcommand().commandSpec().userObject();
  }

  @Test
  void runsOnLocalFlinkByDefaultAndPassesBootstrapAndBound() {
    List<String> args =
        parse("pipeline", "--bootstrap", "10.0.0.1:9092", "--max-records", "50").jobArgs();
    assertEquals(
        List.of(
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--bootstrapServers=10.0.0.1:9092",
            "--maxRecords=50",
            "--credit=rredcot",
            "--checkpointDir=" + tempDir.resolve("checkpoints"),
            "--flinkConfDir=" + tempDir.resolve("flink-conf")),
        args);
  }

  @Test
  void passesUnknownOptionsToBeamAndKeepsAnExplicitRunner() {
    List<String> args =
        parse(
                "pipeline",
                "--bootstrap",
                "h:1",
                "--runner=DirectRunner",
                "--group-timeout-ms=5000",
                "--credit-method",
                "grpo")
            .jobArgs();
    assertEquals(
        List.of(
            "--runner=DirectRunner",
            "--groupTimeoutMs=5000",
            "--creditMethod=grpo",
            "--bootstrapServers=h:1",
            "--maxRecords=0",
            "--credit=rredcot",
            "--checkpointDir=" + tempDir.resolve("checkpoints")),
        args);
  }

  @Test
  void anUnboundedFlinkRunCheckpointsAndResumesFromTheNewestRetainedCheckpoint() throws Exception {
    Path storage = tempDir.resolve("flink-checkpoints");
    List<String> defaults =
        List.of(
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--bootstrapServers=h:1",
            "--maxRecords=0",
            "--credit=rredcot",
            "--checkpointDir=" + tempDir.resolve("checkpoints"),
            "--flinkConfDir=" + tempDir.resolve("flink-conf"),
            "--checkpointingInterval=30000",
            "--checkpointingMode=EXACTLY_ONCE",
            "--stateBackend=filesystem",
            "--stateBackendStoragePath=file://" + storage,
            "--externalizedCheckpointsEnabled=true",
            "--retainExternalizedCheckpointsOnCancellation=true");
    assertEquals(defaults, parse("pipeline", "--bootstrap", "h:1").jobArgs());

    Path older = retainedCheckpoint(storage.resolve("job-a/chk-7"), 1_000);
    Path newest = retainedCheckpoint(storage.resolve("job-b/chk-2"), 2_000);
    Files.createDirectories(storage.resolve("job-b/chk-3")); // in progress: no _metadata yet
    assertEquals(newest, FlinkCheckpointing.latestRetained(storage).orElseThrow());
    List<String> resuming = new ArrayList<>(defaults);
    resuming.add("--savepointPath=file://" + newest);
    assertEquals(resuming, parse("pipeline", "--bootstrap", "h:1").jobArgs());
    assertEquals(defaults, parse("pipeline", "--bootstrap", "h:1", "--fresh").jobArgs());
    assertTrue(Files.exists(older));

    List<String> bounded = parse("pipeline", "--bootstrap", "h:1", "--max-records", "5").jobArgs();
    assertTrue(bounded.stream().noneMatch(arg -> arg.startsWith("--checkpointing")), "" + bounded);
    List<String> direct =
        parse("pipeline", "--bootstrap", "h:1", "--runner=DirectRunner").jobArgs();
    assertTrue(direct.stream().noneMatch(arg -> arg.startsWith("--checkpointing")), "" + direct);
  }

  @Test
  void theEmbeddedFlinkClusterListensOnLoopbackUnlessGivenAConfigDirectory() throws Exception {
    parse("pipeline", "--bootstrap", "h:1").jobArgs();
    org.apache.flink.configuration.Configuration flink =
        org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(
            tempDir.resolve("flink-conf").toString());
    for (String key :
        List.of(
            "rest.bind-address",
            "rest.address",
            "jobmanager.rpc.address",
            "jobmanager.bind-host",
            "taskmanager.bind-host",
            "taskmanager.host")) {
      assertEquals(
          "127.0.0.1",
          flink.getString(
              org.apache.flink.configuration.ConfigOptions.key(key).stringType().noDefaultValue()),
          key);
    }
    List<String> own =
        parse("pipeline", "--bootstrap", "h:1", "--flink-conf-dir=/etc/my-flink").jobArgs();
    assertEquals(1, own.stream().filter(arg -> arg.startsWith("--flinkConfDir")).count(), "" + own);
    List<String> remote =
        parse("pipeline", "--bootstrap", "h:1", "--flink-master=flink:8081").jobArgs();
    assertTrue(remote.stream().noneMatch(arg -> arg.startsWith("--flinkConfDir")), "" + remote);
  }

  private static Path retainedCheckpoint(Path dir, long modifiedMs) throws Exception {
    Files.createDirectories(dir);
    // Metadata Flink can read: the chooser skips checkpoints whose _metadata does not read.
    Path metadata = dir.resolve("_metadata");
    try (java.io.DataOutputStream out =
        new java.io.DataOutputStream(Files.newOutputStream(metadata))) {
      org.apache.flink.runtime.checkpoint.Checkpoints.storeCheckpointMetadata(
          new org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata(
              1, List.of(), List.of()),
          out);
    }
    Files.setLastModifiedTime(metadata, FileTime.fromMillis(modifiedMs));
    return dir;
  }

  @Test
  void thePresetDefaultsToRredcotAndTheCommandsOwnOptionsPassThrough() {
    List<String> args =
        parse(
                "pipeline",
                "--bootstrap",
                "h:1",
                "--runner=DirectRunner",
                "--credit",
                "mc",
                "--policy-version",
                "3",
                "--value-estimator=answer")
            .jobArgs();
    assertTrue(args.contains("--credit=mc"), "" + args);
    assertTrue(args.contains("--policyVersion=3"), "" + args);
    assertTrue(args.contains("--valueEstimator=answer"), "" + args);
    List<String> plain = parse("pipeline", "--bootstrap", "h:1").jobArgs();
    assertTrue(plain.contains("--credit=rredcot"), "" + plain);
    assertTrue(plain.stream().noneMatch(arg -> arg.startsWith("--policyVersion")), "" + plain);
  }

  @Test
  void anExplicitValueEstimatorWinsOverTheDefaultPreset() throws Exception {
    // The job's options as the command parses them: the preset fills only what is not given.
    CreditPipelineOptions options =
        org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
                parse("pipeline", "--bootstrap", "h:1", "--value-estimator=answer")
                    .jobArgs()
                    .toArray(String[]::new))
            .as(CreditPipelineOptions.class);
    CreditSettings settings = CreditSettings.fromOptions(options);
    assertEquals(ValueEstimator.ANSWER, settings.valueEstimator());
    assertEquals(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, settings.advantages().rule());
  }

  @Test
  void aMisspelledJobOptionIsAOneLineUsageErrorNamingTheClosestFlag() {
    for (String misspelt : List.of("--group-timeot-ms=5", "--groupTimeotMs=5")) {
      CliRun run =
          CliRun.execute(RredcotHome.at(tempDir), "pipeline", "--bootstrap", "h:1", misspelt);
      assertEquals(2, run.exitCode(), run.toString());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertTrue(run.err().contains(misspelt.substring(0, misspelt.indexOf('='))), run.err());
      assertTrue(run.err().contains("did you mean --group-timeout-ms?"), run.err());
    }
  }

  @Test
  void oneOptionUnderTwoNamesOrTwiceIsAOneLineUsageError() {
    for (List<String> twice :
        List.of(
            List.of("--flink-master=a:1", "--flinkMaster=b:1"),
            List.of("--group-timeout-ms=1", "--group-timeout-ms", "2"),
            List.of("--max-records", "1", "--max-records", "2"))) {
      List<String> line = new ArrayList<>(List.of("pipeline", "--bootstrap", "h:1"));
      line.addAll(twice);
      CliRun run = CliRun.execute(RredcotHome.at(tempDir), line.toArray(String[]::new));
      assertEquals(2, run.exitCode(), run.toString());
      assertEquals(1, run.err().strip().lines().count(), run.err());
    }
  }

  @Test
  void theProjectsOwnOptionsHaveNoCamelCaseSpellingAndTheErrorGivesTheirName() {
    for (String[] old :
        new String[][] {
          {"--checkpointDir=/s", "--store"},
          {"--bootstrapServers=h:2", "--bootstrap"},
          {"--bootstrap-servers=h:2", "--bootstrap"},
          {"--maxRecords=3", "--max-records"},
          {"--kafkaConfig=/k", "--kafka-config"},
          {"--valueEstimator=bank", "--value-estimator"}
        }) {
      CliRun run =
          CliRun.execute(RredcotHome.at(tempDir), "pipeline", "--bootstrap", "h:1", old[0]);
      assertEquals(2, run.exitCode(), run.toString());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertTrue(run.err().contains("is written " + old[1]), run.err());
    }
  }

  @Test
  void theStoreIsTheSameFlagAsTheServicesAndBeamsOwnOptionsKeepTheirBeamNameAsAnAlias() {
    List<String> args =
        parse(
                "pipeline",
                "--bootstrap",
                "h:1",
                "--store",
                "/policies",
                "--flinkMaster=flink:8081",
                "--checkpointingInterval=1000")
            .jobArgs();
    assertTrue(args.contains("--checkpointDir=/policies"), "" + args);
    assertTrue(args.contains("--flinkMaster=flink:8081"), "" + args);
    assertTrue(args.contains("--checkpointingInterval=1000"), "" + args);
  }

  @Test
  void beamHelpListsTheJobsTheFlinkRunnersAndBeamsOptionsByFlag() {
    CliRun run = CliRun.execute(RredcotHome.at(tempDir), "pipeline", "--beam-help");
    assertEquals(0, run.exitCode(), run.toString());
    for (String flag :
        List.of(
            "--group-timeout-ms=",
            "--store=",
            "--value-estimator=",
            "--flink-master=",
            "--checkpointing-interval=",
            "--state-backend-storage-path=",
            "--parallelism=",
            "--runner=")) {
      assertTrue(run.out().contains("\n  " + flag), flag + " missing: " + run.out());
    }
    assertTrue(run.out().contains("FlinkPipelineOptions"), run.out());
    assertTrue(!run.out().contains("--groupTimeoutMs"), "camelCase in the listing");
    CliRun replay = CliRun.execute(RredcotHome.at(tempDir), "replay", "--beam-help");
    assertEquals(0, replay.exitCode(), replay.toString());
    assertEquals(run.out(), replay.out());
  }

  @Test
  @Tag("slow")
  void creditsCountdownRolloutsWithTheShippedCountdownPolicyOnTheDirectRunner() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      RredcotHome home = RredcotHome.at(tempDir.resolve("home"));
      String bootstrap = kafka.bootstrapServers();
      CliRun produce =
          CliRun.execute(
              home,
              "produce-rollouts",
              "--task",
              "countdown",
              "--count",
              "16",
              "--step-error-rate",
              "0.3",
              "--seed",
              "4",
              "--bootstrap",
              bootstrap);
      assertEquals(0, produce.exitCode(), produce.toString());

      // The home's checkpoint store is empty: --task countdown puts the countdown policy there.
      CliRun pipeline =
          CliRun.execute(
              home,
              "pipeline",
              "--task",
              "countdown",
              "--bootstrap",
              bootstrap,
              "--max-records",
              "16",
              "--credit=rredcot",
              "--runner=DirectRunner");
      assertEquals(0, pipeline.exitCode(), pipeline.toString());
      assertTrue(pipeline.out().contains("shipped countdown policy as version 0"), pipeline.out());
      assertTrue(pipeline.out().matches("(?s).*rollouts-credited\\s+16\\n.*"), pipeline.out());

      CliRun credited = CliRun.execute(home, "tail", "credited-rollouts", "--bootstrap", bootstrap);
      assertEquals(16, credited.outLines().size(), credited.toString());
      ObjectMapper json = new ObjectMapper();
      int multiSegment = 0;
      for (String line : credited.outLines()) {
        JsonNode rollout = json.readTree(line).get("value");
        assertEquals("rredcot-rudder-calibrated", rollout.get("creditMethod").asText(), line);
        JsonNode values = rollout.get("boundaryValues");
        JsonNode rewards = rollout.get("segmentRewards");
        multiSegment += rewards.size() > 1 ? 1 : 0;
        // Return equivalence: the segment rewards sum to the verified reward minus v_0.
        double sum = 0;
        for (JsonNode reward : rewards) {
          sum += reward.asDouble();
        }
        double reward = rollout.get("reward").asDouble();
        assertEquals(reward, values.get(values.size() - 1).asDouble(), 1e-9, line);
        assertEquals(reward - values.get(0).asDouble(), sum, 1e-6, line);
      }
      assertTrue(multiSegment > 0, "the countdown traces are split into lines and valued");
      CliRun deadLetters = CliRun.execute(home, "tail", "dead-letters", "--bootstrap", bootstrap);
      assertEquals(0, deadLetters.outLines().size(), deadLetters.toString());
    }
  }

  @Test
  @Tag("slow")
  void countdownRolloutsScoredWithTheArithmeticPolicyAreUnmappableDeadLetters() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      RredcotHome home = RredcotHome.at(tempDir.resolve("home"));
      String bootstrap = kafka.bootstrapServers();
      CliRun produce =
          CliRun.execute(
              home,
              "produce-rollouts",
              "--task",
              "countdown",
              "--count",
              "8",
              "--seed",
              "4",
              "--bootstrap",
              bootstrap);
      assertEquals(0, produce.exitCode(), produce.toString());
      // Without --task the empty store gets the arithmetic policy, which has no '>' for prompts.
      CliRun pipeline =
          CliRun.execute(
              home,
              "pipeline",
              "--bootstrap",
              bootstrap,
              "--max-records",
              "8",
              "--credit=rredcot",
              "--runner=DirectRunner");
      assertEquals(0, pipeline.exitCode(), pipeline.toString());
      assertTrue(pipeline.out().contains("shipped initial policy as version 0"), pipeline.out());
      CliRun deadLetters = CliRun.execute(home, "tail", "dead-letters", "--bootstrap", bootstrap);
      assertEquals(8, deadLetters.outLines().size(), deadLetters.toString());
      assertTrue(
          deadLetters.outLines().stream().allMatch(line -> line.contains("unmappable-tokens")),
          deadLetters.out());
    }
  }

  @Test
  @Tag("slow")
  void creditsProducedRolloutsAndDeadLettersCorruptOnesOnTheDirectRunner() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      RredcotHome home = RredcotHome.at(tempDir.resolve("home"));
      String bootstrap = kafka.bootstrapServers();
      CliRun produce =
          CliRun.execute(
              home,
              "produce-rollouts",
              "--count",
              "16",
              "--corrupt",
              "2",
              "--seed",
              "21",
              "--bootstrap",
              bootstrap);
      assertEquals(0, produce.exitCode(), produce.toString());

      CliRun pipeline =
          CliRun.execute(
              home,
              "pipeline",
              "--bootstrap",
              bootstrap,
              "--max-records",
              "18",
              "--runner=DirectRunner");
      assertEquals(0, pipeline.exitCode(), pipeline.toString());
      assertTrue(pipeline.out().contains("credit job DONE"), pipeline.out());
      assertTrue(pipeline.out().matches("(?s).*rollouts-credited\\s+16\\n.*"), pipeline.out());

      CliRun credited = CliRun.execute(home, "tail", "credited-rollouts", "--bootstrap", bootstrap);
      assertEquals(16, credited.outLines().size(), credited.toString());
      CliRun deadLetters = CliRun.execute(home, "tail", "dead-letters", "--bootstrap", bootstrap);
      assertEquals(2, deadLetters.outLines().size(), deadLetters.toString());
      assertTrue(
          deadLetters.outLines().stream()
              .allMatch(line -> line.contains("\"stage\":\"ParseRollout\"")),
          deadLetters.out());
    }
  }
}
