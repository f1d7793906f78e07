package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.model.metrics.MetricsServer;
import dev.rredcot.model.metrics.ScrapedSamples;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.trainer.StalenessMode;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * The services' metrics and health endpoints against a real in-process broker: scraped over HTTP
 * and parsed as Prometheus text, the documented names are there and follow what the services do;
 * {@code status --bootstrap} shows consumer lag and policy versions, and fails fast without a
 * broker.
 */
@Tag("slow")
class ServiceMetricsEndpointsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern METRICS_AT = Pattern.compile("metrics at (http://\\S+)/metrics");

  @TempDir Path dir;
  private EmbeddedKafkaBroker kafka;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void startBroker() {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
  }

  @AfterEach
  void stopBroker() {
    kafka.close();
  }

  @Test
  void aFeederProcessServesItsMetricsAndHealthOnAnEphemeralPort() throws Exception {
    try (CliProcess feeder =
        CliProcess.start(
            dir.resolve("home"),
            dir.resolve("feeder.log"),
            "feeder",
            "--bootstrap",
            kafka.bootstrapServers(),
            "--rate",
            "50",
            "--metrics-port",
            "0")) {
      String base = awaitAddress(feeder);
      awaitOrFail(feeder, () -> status(base + MetricsServer.READY_PATH) == 200);
      assertEquals(200, status(base + MetricsServer.LIVE_PATH));
      String name = MetricNames.FEEDER_PROMPTS_SENT.scraped();
      double first = scrape(base).value(name).orElseThrow();
      awaitOrFail(feeder, () -> scrape(base).value(name).orElseThrow() >= first + 10);
      feeder.terminate();
      assertEquals(0, feeder.waitForExit(Duration.ofSeconds(30)), feeder.output());
    }
  }

  @Test
  void workerAndTrainerReportTheDocumentedNamesAsTheyWork() throws Exception {
    Path store = dir.resolve("store");
    CheckpointStore checkpoints = new CheckpointStore(store, 8);
    InitialPolicy.materialise(checkpoints);
    try (TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
            .optFixedSet(16, 1)
            .optPromptsPerSecond(1_000)
            .build()) {
      feeder.start();
      awaitOrFail(null, feeder::isDone);
    }
    RolloutWorker worker =
        RolloutWorker.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setCheckpointStore(checkpoints)
            .setTaskFamilies(List.of(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK)))
            .optInitialPolicy(Policy.load(checkpoints.newestVerified().orElseThrow()))
            .optGroupSize(2)
            .optPromptsPerBatch(4)
            .optMaxTokens(32)
            .build();
    try (worker;
        MetricsServer server =
            MetricsServer.start("127.0.0.1", 0, worker.metrics().registry(), worker)) {
      String base = "http://127.0.0.1:" + server.port();
      assertEquals(503, status(base + MetricsServer.LIVE_PATH), "not started: not live");
      worker.start();
      awaitOrFail(null, () -> status(base + MetricsServer.READY_PATH) == 200);
      awaitOrFail(
          null,
          () ->
              scrape(base).value(MetricNames.WORKER_ROLLOUTS_PUBLISHED.scraped()).orElse(0.0) >= 8);
      ScrapedSamples samples = scrape(base);
      assertEquals(0.0, samples.value(MetricNames.POLICY_VERSION.scraped()).orElseThrow());
      double reward = samples.value(MetricNames.REWARD_MEAN.scraped()).orElseThrow();
      assertTrue(reward >= 0 && reward <= 1, "reward mean " + reward);
      assertTrue(
          samples.value(MetricNames.WORKER_PROMPTS_SERVED.scraped()).orElseThrow() >= 4,
          "prompts served");
      assertTrue(
          samples
              .value(MetricNames.CONSUMER_LAG.scraped(), MetricNames.GROUP, "rollout-workers")
              .isPresent(),
          "lag of the worker's group");
      worker.close();
      assertEquals(503, status(base + MetricsServer.LIVE_PATH), "stopped: not live");
      assertEquals(503, status(base + MetricsServer.READY_PATH), "stopped: not ready");
    }

    RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);
    List<byte[]> values = new ArrayList<>();
    values.add(new byte[] {1, 2, 3});
    for (int group = 0; group < 3; group++) {
      for (int sample = 0; sample < 2; sample++) {
        values.add(codec.encode(CreditedFixtures.credited("p" + group, sample, 2)));
      }
    }
    produce(Topics.CREDITED_ROLLOUTS, values);
    TrainerService trainer =
        TrainerService.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setCheckpointStore(checkpoints)
            .optOptions(
                TrainerOptions.builder()
                    .optBatchGroups(1)
                    .optStaleness(10, StalenessMode.DROP)
                    // A small held-out check at v3 only, so that the accuracy gauge appears.
                    .optEvaluator(
                        HeldOutEvaluator.builder()
                            .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
                            .optPrompts(4)
                            .optSamplesPerPrompt(1)
                            .build(),
                        3)
                    .build())
            .build();
    try (trainer;
        MetricsServer server =
            MetricsServer.start("127.0.0.1", 0, trainer.metrics().registry(), trainer)) {
      String base = "http://127.0.0.1:" + server.port();
      trainer.start();
      awaitOrFail(null, () -> status(base + MetricsServer.READY_PATH) == 200);
      awaitOrFail(
          null, () -> scrape(base).value(MetricNames.POLICY_VERSION.scraped()).orElse(0.0) >= 3);
      ScrapedSamples samples = scrape(base);
      double accuracy = samples.value(MetricNames.HELDOUT_ACCURACY.scraped()).orElseThrow();
      assertTrue(accuracy >= 0 && accuracy <= 1, "held-out accuracy " + accuracy);
      assertEquals(7.0, samples.value(MetricNames.TRAINER_ROLLOUTS_CONSUMED.scraped()).get());
      assertEquals(6.0, samples.value(MetricNames.TRAINER_ROLLOUTS_TRAINED.scraped()).get());
      assertEquals(
          1.0,
          samples
              .value(MetricNames.DEAD_LETTERS.scraped(), MetricNames.REASON, "bad-header")
              .orElseThrow());
      assertEquals(3.0, samples.value(MetricNames.TRAINER_STEP_SECONDS.scraped() + "_count").get());
      assertEquals(0.5, samples.value(MetricNames.REWARD_MEAN.scraped()).orElseThrow(), 1e-9);
      // Six rollouts of v0 read while the trainer moved v0 -> v3: lags 0,0,1,1,2,2.
      assertEquals(6.0, samples.value(MetricNames.ROLLOUT_STALENESS.scraped() + "_count").get());
      assertEquals(6.0, samples.value(MetricNames.ROLLOUT_STALENESS.scraped() + "_sum").get());
      double age = samples.value(MetricNames.CHECKPOINT_AGE.scraped()).orElseThrow();
      assertTrue(age >= 0 && age < 60, "checkpoint age " + age);
      assertTrue(
          samples
              .value(MetricNames.CONSUMER_LAG.scraped(), MetricNames.GROUP, "rredcot-trainer")
              .isPresent(),
          "lag of the trainer's group");
    }
  }

  @Test
  void aFeederWithoutItsBrokerIsLiveButNotReady() throws Exception {
    TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
            .optPromptsPerSecond(20)
            .build();
    try (feeder;
        MetricsServer server =
            MetricsServer.start("127.0.0.1", 0, feeder.metrics().registry(), feeder)) {
      String base = "http://127.0.0.1:" + server.port();
      feeder.start();
      awaitOrFail(null, () -> status(base + MetricsServer.READY_PATH) == 200);
      kafka.close();
      // The feeder retries its sends for as long as the broker is away: alive, not ready.
      awaitOrFail(null, () -> status(base + MetricsServer.READY_PATH) == 503);
      assertEquals(200, status(base + MetricsServer.LIVE_PATH));
      assertEquals(null, feeder.failure());
    }
  }

  @Test
  void statusShowsConsumerLagAndPolicyVersions() throws Exception {
    try (TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
            .optFixedSet(20, 1)
            .optPromptsPerSecond(1_000)
            .build()) {
      feeder.start();
      awaitOrFail(null, feeder::isDone);
    }
    commit("status-test", Map.of(new TopicPartition(Topics.PROMPTS, 0), 3L));
    RecordCodec<dev.rredcot.schemas.PolicyCheckpoint> announcements =
        RecordCodec.of(dev.rredcot.schemas.PolicyCheckpoint.class);
    List<byte[]> checkpoints = new ArrayList<>();
    for (long version = 0; version <= 4; version++) {
      checkpoints.add(
          announcements.encode(
              dev.rredcot.schemas.PolicyCheckpoint.newBuilder()
                  .setVersion(version)
                  .setParentVersion(version == 0 ? null : version - 1)
                  .setUri("file:///store/v" + version)
                  .setManifestSha256("00")
                  .setCreatedAtMs(java.time.Instant.now())
                  .setMetrics(Map.of())
                  .build()));
    }
    produce(Topics.CHECKPOINTS, checkpoints);

    CliRun status =
        CliRun.execute(
            RredcotHome.at(dir.resolve("home")), "status", "--bootstrap", kafka.bootstrapServers());
    assertEquals(0, status.exitCode(), status.toString());
    long partition0 = kafka.describeTopics(List.of(Topics.PROMPTS)).get(0).endOffsets().get(0);
    assertTrue(
        status.outLines().stream()
            .anyMatch(
                line ->
                    line.matches(
                        "status-test\\s+prompts\\s+3\\s+"
                            + partition0
                            + "\\s+"
                            + (partition0 - 3))),
        status.out());
    assertTrue(status.out().contains("policy: newest announced v4, written "), status.out());
    assertTrue(status.out().contains("rollouts: none yet"), status.out());
  }

  @Test
  void statusFailsWithinSecondsWhenNoBrokerAnswers() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    long start = System.nanoTime();
    CliRun status =
        CliRun.execute(
            RredcotHome.at(dir.resolve("home")),
            "status",
            "--bootstrap",
            "127.0.0.1:" + closedPort,
            "--timeout-ms",
            "2000");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertNotEquals(0, status.exitCode(), status.toString());
    assertTrue(status.err().contains("does not answer"), status.toString());
    assertTrue(seconds < 15, "took " + seconds + " s");
  }

  private static String awaitAddress(CliProcess process) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = METRICS_AT.matcher(process.output());
      if (matcher.find()) {
        return matcher.group(1);
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no metrics address printed:\n" + process.output());
  }

  private int status(String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(url + ": " + e, e);
    }
  }

  private ScrapedSamples scrape(String base) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + MetricsServer.METRICS_PATH)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      return ScrapedSamples.parse(response.body());
    } catch (Exception e) {
      throw new IllegalStateException(base + ": " + e, e);
    }
  }

  /** Waits until {@code done}; fails early with the output when {@code process} exits. */
  private static void awaitOrFail(CliProcess process, BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!done.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError("the process exited early:\n" + process.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "not done within " + WAIT + (process == null ? "" : ":\n" + process.output()));
      }
      Thread.sleep(200);
    }
  }

  private void produce(String topic, List<byte[]> values) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] value : values) {
        // One partition, so the trainer's batches come in a fixed order.
        producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
      }
    }
  }

  private void commit(String group, Map<TopicPartition, Long> offsets) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(offsets.keySet());
      Map<TopicPartition, OffsetAndMetadata> commits = new java.util.HashMap<>();
      offsets.forEach((partition, offset) -> commits.put(partition, new OffsetAndMetadata(offset)));
      consumer.commitSync(commits);
    }
  }
}
