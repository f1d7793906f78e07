package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unbounded credit job on the embedded Flink runner, as a child process: it checkpoints, keeps
 * its newest checkpoint when its process is stopped, and the next {@code pipeline} restores it and
 * credits only what came after.
 */
@Tag("slow")
class FlinkCheckpointResumeTest {
  @TempDir Path dir;
  private EmbeddedKafkaBroker kafka;
  private CliProcess pipeline;

  @BeforeEach
  void startBroker() {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    if (pipeline != null) {
      pipeline.close();
    }
    kafka.close();
  }

  @Test
  void aRestartedPipelineResumesFromItsRetainedCheckpoint() throws Exception {
    RredcotHome home = RredcotHome.at(dir.resolve("home"));
    Path storage = home.flinkCheckpointsDir();
    produce(home, 16, 1);
    pipeline = startPipeline(home, "first");
    awaitOrFail(() -> credited() == 16);
    long allCreditedMs = System.currentTimeMillis();
    // A checkpoint taken after the 16th record was credited covers all of them.
    awaitOrFail(
        () ->
            FlinkCheckpointing.latestRetained(storage)
                .map(chk -> modifiedMs(chk.resolve("_metadata")) > allCreditedMs + 500)
                .orElse(false));
    pipeline.terminate();
    pipeline.waitForExit(Duration.ofSeconds(40));
    Optional<Path> retained = FlinkCheckpointing.latestRetained(storage);
    assertTrue(retained.isPresent(), "the checkpoint is retained after the process stopped");

    produce(home, 8, 2);
    pipeline = startPipeline(home, "second");
    awaitOrFail(() -> credited() == 24);
    assertTrue(
        pipeline.output().contains("resuming from retained Flink checkpoint " + retained.get()),
        pipeline.output());
    Thread.sleep(2_000);
    assertEquals(24, credited(), "the first 16 are not credited again");
  }

  private CliProcess startPipeline(RredcotHome home, String name) throws Exception {
    return CliProcess.start(
        home.root(),
        dir.resolve("logs").resolve(name + ".log"),
        "pipeline",
        "--bootstrap",
        kafka.bootstrapServers(),
        "--credit=grpo",
        "--parallelism=1",
        "--checkpointing-interval=500");
  }

  private void produce(RredcotHome home, int count, int seed) {
    CliRun run =
        CliRun.execute(
            home,
            "produce-rollouts",
            "--count",
            Integer.toString(count),
            "--seed",
            Integer.toString(seed),
            "--bootstrap",
            kafka.bootstrapServers());
    assertEquals(0, run.exitCode(), run.toString());
  }

  /**
   * Credited records a read_committed consumer sees (the job writes in transactions, so the end
   * offsets also count commit markers).
   */
  private long credited() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    long records = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.CREDITED_ROLLOUTS).stream()
              .map(info -> new TopicPartition(info.topic(), info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> stable = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < stable.get(p))) {
        records += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    return records;
  }

  private static long modifiedMs(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  private void awaitOrFail(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!done.getAsBoolean()) {
      if (!pipeline.isAlive()) {
        throw new AssertionError("the pipeline exited early:\n" + pipeline.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not done within 120 s:\n" + pipeline.output());
      }
      Thread.sleep(250);
    }
  }
}
