package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.StoreLock;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rredcot trainer}, {@code worker} and {@code feeder} as child processes against a real
 * in-process broker: each is stopped with SIGTERM and must exit 0 with its work committed.
 */
@Tag("slow")
class ServiceCommandsProcessTest {
  private static final Duration START_AND_WORK = Duration.ofSeconds(60);
  private static final Duration EXIT = Duration.ofSeconds(40);

  @TempDir Path dir;
  private EmbeddedKafkaBroker kafka;
  private final List<CliProcess> processes = new ArrayList<>();

  @BeforeEach
  void startBroker() {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    for (CliProcess process : processes) {
      process.close();
    }
    kafka.close();
  }

  @Test
  void feederExitsZeroOnSigtermAndEveryPromptItCountedIsOnTheTopic() throws Exception {
    CliProcess feeder = start("feeder", "--bootstrap", kafka.bootstrapServers(), "--rate", "50");
    awaitOrFail(feeder, () -> endOffset(Topics.PROMPTS) >= 20);

    feeder.terminate();
    assertEquals(0, feeder.waitForExit(EXIT), feeder.output());
    Matcher sent = Pattern.compile("feeder: stopped; (\\d+) prompts sent").matcher(feeder.output());
    assertTrue(sent.find(), feeder.output());
    assertEquals(endOffset(Topics.PROMPTS), Long.parseLong(sent.group(1)));
  }

  @Test
  void aFeederKilledMidwayAndStartedAgainGoesOnWhereItStopped() throws Exception {
    String[] command = {
      "feeder", "--bootstrap", kafka.bootstrapServers(), "--count", "40", "--rate", "20"
    };
    CliProcess first = start(command);
    awaitOrFail(first, () -> endOffset(Topics.PROMPTS) >= 10);
    first.kill();
    long before = endOffset(Topics.PROMPTS);
    assertTrue(before < 40, "killed before the end: " + before);

    CliProcess second = start(command);
    assertEquals(0, second.waitForExit(EXIT), second.output());
    assertEquals(40, endOffset(Topics.PROMPTS), "every prompt of the set once");
    Set<String> ids = new HashSet<>();
    RecordCodec<Prompt> codec = RecordCodec.of(Prompt.class);
    for (byte[] value : readAll(Topics.PROMPTS, 40)) {
      ids.add(codec.decode(value).getId().toString());
    }
    assertEquals(40, ids.size(), "no prompt sent twice");
  }

  @Test
  void workerExitsZeroOnSigtermWithTheServedPromptsCommittedInItsGroup() throws Exception {
    Path store = dir.resolve("store");
    InitialPolicy.materialise(new CheckpointStore(store, 8));
    try (TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
            .optFixedSet(64, 1)
            .optPromptsPerSecond(1_000)
            .build()) {
      feeder.start();
      awaitOrFail(null, feeder::isDone);
    }
    CliProcess worker =
        start(
            "worker",
            "--bootstrap",
            kafka.bootstrapServers(),
            "--store",
            store.toString(),
            "--group-size",
            "2",
            "--prompts-per-batch",
            "4",
            "--max-tokens",
            "32",
            // No trainer here to publish an in-flight budget.
            "--in-flight-budget",
            "false");
    awaitOrFail(worker, () -> committed("rollout-workers") >= 8);

    worker.terminate();
    assertEquals(0, worker.waitForExit(EXIT), worker.output());
    Matcher served =
        Pattern.compile("worker: stopped; policy v0, (\\d+) prompts served, (\\d+) rollouts")
            .matcher(worker.output());
    assertTrue(served.find(), worker.output());
    long prompts = Long.parseLong(served.group(1));
    // Every served prompt is committed, and every rollout of a committed prompt is on the topic.
    assertEquals(prompts, committed("rollout-workers"));
    assertEquals(2 * prompts, Long.parseLong(served.group(2)));
    assertEquals(2 * prompts, endOffset(Topics.ROLLOUTS));
  }

  @Test
  void trainerLocksItsStoreTrainsAndExitsZeroOnSigtermWithItsWorkDurable() throws Exception {
    Path store = dir.resolve("store");
    InitialPolicy.materialise(new CheckpointStore(store, 8));
    RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);
    List<byte[]> values = new ArrayList<>();
    CreditedRollout poisoned = CreditedFixtures.credited("poison", 0, 2);
    List<Float> advantages = new ArrayList<>(poisoned.getTokenAdvantages());
    advantages.set(0, Float.NaN);
    poisoned.setTokenAdvantages(advantages);
    values.add(codec.encode(poisoned));
    values.add(new byte[] {1, 2, 3});
    for (int group = 0; group < 4; group++) {
      for (int sample = 0; sample < 2; sample++) {
        values.add(codec.encode(CreditedFixtures.credited("p" + group, sample, 2)));
      }
    }
    produce(Topics.CREDITED_ROLLOUTS, values);

    CliProcess trainer =
        start(
            "trainer",
            "--bootstrap",
            kafka.bootstrapServers(),
            "--store",
            store.toString(),
            "--batch-groups",
            "1",
            // All groups were sampled by v0; none may go stale while the trainer moves to v4.
            "--staleness",
            "10");
    CheckpointStore checkpoints = new CheckpointStore(store, 8);
    awaitOrFail(trainer, () -> versions(checkpoints).contains(4L));

    CliProcess second =
        start("trainer", "--bootstrap", kafka.bootstrapServers(), "--store", store.toString());
    assertEquals(1, second.waitForExit(EXIT), second.output());
    assertTrue(second.output().contains("in use by another trainer"), second.output());

    // Kafka's tools see the offsets the checkpoints cover while the trainer runs.
    awaitOrFail(trainer, () -> committed("rredcot-trainer") == values.size());

    trainer.terminate();
    assertEquals(0, trainer.waitForExit(EXIT), trainer.output());
    assertTrue(trainer.output().contains("trainer: stopped; policy v4, 4 steps"), trainer.output());
    // Durable: each trained rollout listed once with its version, v4's progress, the offsets in
    // the consumer group, the poison and the garbage in dead letters, and the lock released.
    List<String> trained = Files.readAllLines(store.resolve("trained-rollouts.tsv"));
    assertEquals(9, trained.size(), String.join("\n", trained));
    assertEquals(8, new HashSet<>(trained.subList(1, 9)).size());
    assertTrue(trained.get(8).startsWith("4\tp3@v0#0/"), trained.get(8));
    assertTrue(Files.exists(dir.resolve("store-progress").resolve("progress-v000000000004.json")));
    assertEquals(values.size(), committed("rredcot-trainer"));
    assertEquals(
        Set.of("non-finite-advantage", "bad-header"),
        deadLetterReasons(),
        "dead letters by reason");
    try (StoreLock lock = checkpoints.lock()) {
      assertTrue(Files.exists(lock.file()));
    }
  }

  @Test
  void everyServiceCommandHasHelp() {
    for (String command : List.of("trainer", "worker", "feeder")) {
      CliRun help = CliRun.execute(dev.rredcot.infra.home.RredcotHome.at(dir), command, "--help");
      assertEquals(0, help.exitCode(), help.toString());
      assertTrue(help.out().contains("--bootstrap"), help.out());
      assertTrue(help.out().contains("SIGTERM"), help.out());
    }
  }

  private CliProcess start(String... args) throws Exception {
    CliProcess process =
        CliProcess.start(dir.resolve("home"), dir.resolve("logs").resolve(args[0] + ".log"), args);
    processes.add(process);
    return process;
  }

  /** Waits until {@code done}; fails early with the output when {@code process} exits. */
  private static void awaitOrFail(CliProcess process, BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + START_AND_WORK.toNanos();
    while (!done.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError("the process exited early:\n" + process.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "not done within "
                + START_AND_WORK
                + (process == null ? "" : ":\n" + process.output()));
      }
      Thread.sleep(200);
    }
  }

  private static List<Long> versions(CheckpointStore store) {
    try {
      return store.versions();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private long endOffset(String topic) {
    try (TopicAdmin admin = TopicAdmin.connect(kafka.bootstrapServers(), Duration.ofSeconds(10))) {
      return admin.describe(List.of(topic)).get(0).totalEndOffset();
    }
  }

  private long committed(String group) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      return offsets.values().stream()
          .filter(o -> o != null)
          .mapToLong(OffsetAndMetadata::offset)
          .sum();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void produce(String topic, List<byte[]> values) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] value : values) {
        // One partition, so the order (and so the trainer's batches) is fixed.
        producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
      }
    }
  }

  private List<byte[]> readAll(String topic, int count) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-read-" + topic);
    List<byte[]> values = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (values.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }

  private Set<String> deadLetterReasons() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-dead-letters");
    Set<String> reasons = new HashSet<>();
    RecordCodec<DeadLetter> codec = RecordCodec.of(DeadLetter.class);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.DEAD_LETTERS));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (reasons.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          reasons.add(codec.decode(record.value()).getReason().toString());
        }
      }
    }
    return reasons;
  }
}
