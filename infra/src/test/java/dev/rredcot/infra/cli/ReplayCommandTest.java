package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    }
  }
}
