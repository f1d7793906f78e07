package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.pipelines.CreditChoice;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReplayCommandTest {
  @TempDir Path tempDir;

  @Test
  void nothingToReplayIsAUsageError() {
    CliRun run =
        CliRun.execute(RredcotHome.at(tempDir), "replay", "--bootstrap", "h:1", "--out", "t");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--from/--to"), run.err());
  }

  @Test
  void inputFilesAndATopicRangeAreExclusive() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "replay",
            "--input-files",
            "/x/*.avro",
            "--from",
            "0:0",
            "--out",
            "t");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("one or the other"), run.err());
  }

  @Test
  void eachExplicitCreditOptionReachesTheJobBesideThePreset() {
    for (String explicit :
        List.of(
            "--credit-method=rredcot-dense",
            "--value-estimator=answer",
            "--segmentation=keyword")) {
      CommandLine.ParseResult parsed =
          RredcotCli.commandLine(RredcotHome.at(tempDir))
              .parseArgs(
                  "replay",
                  "--bootstrap",
                  "h:1",
                  "--from",
                  "0:0",
                  "--credit=mc",
                  "--out",
                  "t",
                  explicit);
      List<String> args =
          ((ReplayCommand) parsed.subcommand().commandSpec().userObject()).jobArgs();
      assertTrue(args.contains("--credit=mc"), "" + args);
      // As the job resolves them: the explicit one wins, the preset fills the other two.
      CreditPipelineOptions options =
          PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
              .as(CreditPipelineOptions.class);
      CreditChoice choice = CreditChoice.of(options);
      List<String> resolved =
          List.of(
              "--creditMethod=" + choice.rule().optionValue(),
              "--valueEstimator=" + choice.estimator().optionValue(),
              "--segmentation=" + choice.segmentation().optionValue());
      String asBeam = dev.rredcot.pipelines.BeamFlags.toBeamArgs(List.of(explicit)).get(0);
      assertTrue(resolved.contains(asBeam), explicit + " lost: " + resolved);
      List<String> mc =
          List.of("--creditMethod=rredcot-rudder", "--valueEstimator=mc", "--segmentation=hybrid");
      for (String presetValue : mc) {
        String name = presetValue.substring(0, presetValue.indexOf('='));
        if (!asBeam.startsWith(name)) {
          assertTrue(resolved.contains(presetValue), presetValue + " missing: " + resolved);
        }
      }
    }
  }

  @Test
  void aPinnedPolicyVersionTheStoreDoesNotHoldFailsBeforeAnythingRuns() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "replay",
            "--bootstrap",
            "h:1",
            "--input-files",
            tempDir.resolve("none-*.avro").toString(),
            "--out",
            "file:" + tempDir.resolve("out"),
            "--policy-version",
            "7");
    assertEquals(1, run.exitCode(), run.toString());
    // The empty store got the shipped policy as version 0, which is not version 7.
    assertTrue(run.err().contains("--policy-version 7"), run.err());
    assertTrue(run.err().contains("[0]"), run.err());
  }

  @Test
  @Tag("slow")
  void recreditsATopicRangeIntoAnotherTopic() throws Exception {
    // One partition, 16 stored rollouts in groups of 4; replay the first 12 with GRPO credit.
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 1);
      RredcotHome home = RredcotHome.at(tempDir.resolve("home"));
      String bootstrap = kafka.bootstrapServers();
      CliRun produce =
          CliRun.execute(
              home, "produce-rollouts", "--count", "16", "--seed", "3", "--bootstrap", bootstrap);
      assertEquals(0, produce.exitCode(), produce.toString());

      CliRun replay =
          CliRun.execute(
              home,
              "replay",
              "--bootstrap",
              bootstrap,
              "--from",
              "0:0",
              "--to",
              "0:12",
              "--credit=grpo",
              "--out",
              "recredited",
              "--runner=DirectRunner");
      assertEquals(0, replay.exitCode(), replay.toString());
      assertTrue(replay.out().contains("created topic recredited with 1 partitions"), replay.out());
      assertTrue(replay.out().contains("replay DONE"), replay.out());

      CliRun out = CliRun.execute(home, "tail", "recredited", "--bootstrap", bootstrap);
      // Offsets [0, 12) of one partition: exactly the first three groups of four.
      assertEquals(12, out.outLines().size(), out.toString());
      assertTrue(
          out.outLines().stream().allMatch(line -> line.contains("\"creditMethod\":\"grpo\"")),
          out.out());

      // The same range into Avro files, then compared with the topic: the same 12 rollouts.
      CliRun toFiles =
          CliRun.execute(
              home,
              "replay",
              "--bootstrap",
              bootstrap,
              "--from",
              "0:0",
              "--to",
              "0:12",
              "--credit=grpo",
              "--out",
              "file:" + tempDir.resolve("files/recredited"),
              "--runner=DirectRunner");
      assertEquals(0, toFiles.exitCode(), toFiles.toString());
      CliRun compare =
          CliRun.execute(
              home,
              "compare",
              "recredited@0:0..",
              "file:" + tempDir.resolve("files/recredited"),
              "--bootstrap",
              bootstrap,
              "--json");
      assertEquals(0, compare.exitCode(), compare.toString());
      com.fasterxml.jackson.databind.JsonNode json =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(compare.out());
      assertEquals(12, json.get("matched").asLong(), compare.out());
      assertEquals(0, json.get("onlyA").asLong(), compare.out());
      assertEquals(0, json.get("onlyB").asLong(), compare.out());
      // The same GRPO credit of the same rollouts: identical.
      assertEquals(0.0, json.get("tokenMeanAbsDifference").asDouble(), 1e-12, compare.out());
    }
  }
}
