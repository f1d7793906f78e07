package dev.rredcot.model.trainer;

import dev.rredcot.model.budget.InFlightLedger;
import dev.rredcot.model.budget.TrainerBudget;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.CheckpointAnnouncement;
import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.model.metrics.ServiceMetrics;
import dev.rredcot.model.service.BrokerRetry;
import dev.rredcot.model.service.ConsumedDeadLetters;
import dev.rredcot.model.service.KafkaClientMetrics;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.service.OffsetOutOfRange;
import dev.rredcot.model.service.RunningService;
import dev.rredcot.model.service.ServiceThread;
import dev.rredcot.model.service.StopRequestedException;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Topics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka adapter of the trainer: reads {@code credited-rollouts} with an assigned consumer (no
 * consumer group: its progress lives beside the checkpoints, see {@link TrainerCore}), hands every
 * record to the core, publishes a {@link PolicyCheckpoint} for every new checkpoint (and, at start,
 * for the checkpoint it resumed from, so waiting workers get a policy), and sends undecodable or
 * invalid records to {@code dead-letters}. Every trained rollout is listed with its policy version
 * in the trained-rollouts log ({@link TrainerCore}); the offsets each checkpoint covers are also
 * committed to the consumer group {@code rredcot-trainer}, only so that Kafka's tools show the
 * trainer's lag (the trainer resumes from its progress files, not from the group). Kafka calls that
 * fail for a passing reason are retried with backoff ({@link BrokerRetry}).
 *
 * <p>With the in-flight budget ({@link Builder#optInFlightBudget}) it also publishes, whenever its
 * count of credited rollouts read changes, a retirement on the {@code rollout-budget} ledger with
 * that count and the limit (S + 1)·B groups, which rollout workers admit prompts against ({@link
 * TrainerBudget}).
 *
 * <pre>{@code
 * try (Trainer trainer = Trainer.builder().setBootstrapServers(servers)
 *     .setCheckpointStore(new CheckpointStore(dir, 5))
 *     .optOptions(TrainerOptions.builder().optBatchGroups(8).build()).build()) {
 *   trainer.start();
 *   ...
 *   TrainerStats stats = trainer.stats();
 * }
 * }</pre>
 */
public final class TrainerService implements RunningService {
  /**
   * How long rollouts may stay in flight with nothing moving before they are written off, unless
   * told otherwise: longer than the credit job takes to start on a busy machine, so a slow start is
   * not mistaken for rollouts lost before the trainer.
   */
  public static final Duration DEFAULT_WRITE_OFF_AFTER = Duration.ofMinutes(2);

  private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
  private static final RecordCodec<CreditedRollout> CREDITED =
      RecordCodec.of(CreditedRollout.class);
  private static final RecordCodec<PolicyCheckpoint> ANNOUNCEMENTS =
      RecordCodec.of(PolicyCheckpoint.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);
  private static final long COMMIT_RETRY_MS = 5_000;

  private final Builder settings;
  private TrainerCore core;
  private volatile TrainerStats stats;
  private volatile Throwable failure;
  private final BrokerRetry retry = BrokerRetry.standard();
  // Loop-thread state of the consumer-group commits.
  private Map<Integer, Long> visibleOffsets = Map.of();
  private boolean commitInFlight;
  private long nextCommitAttemptMs;
  private final ServiceThread service =
      new ServiceThread("trainer", Duration.ofSeconds(120), false);
  private final ServiceMetrics metrics = new ServiceMetrics();
  private final Counter consumedCounter = metrics.counter(MetricNames.TRAINER_ROLLOUTS_CONSUMED);
  private final Counter trainedCounter = metrics.counter(MetricNames.TRAINER_ROLLOUTS_TRAINED);
  private final Counter deadLetterCounter = metrics.counter(MetricNames.DEAD_LETTERS);
  private final Histogram staleness =
      metrics.histogram(MetricNames.ROLLOUT_STALENESS, ServiceMetrics.VERSION_BUCKETS);
  private final Histogram stepSeconds =
      metrics.histogram(MetricNames.TRAINER_STEP_SECONDS, ServiceMetrics.STEP_SECONDS_BUCKETS);
  // Read by the metrics server's threads; written by the loop thread.
  private volatile Map<MetricName, ? extends Metric> consumerMetrics;
  private volatile boolean resumed;
  private volatile double checkpointCreatedAtMs = Double.NaN;
  private volatile double lastRewardMean = Double.NaN;
  private volatile double lastHeldOutAccuracy = Double.NaN;
  // Loop-thread state of the in-flight budget; null without one.
  private TrainerBudget budget;
  private volatile long budgetInFlight = -1;

  private TrainerService(Builder settings) {
    this.settings = settings;
    metrics.gaugeFrom(
        MetricNames.POLICY_VERSION, () -> stats == null ? Double.NaN : stats.policyVersion());
    metrics.gaugeFrom(MetricNames.REWARD_MEAN, () -> lastRewardMean);
    metrics.gaugeFrom(MetricNames.HELDOUT_ACCURACY, () -> lastHeldOutAccuracy);
    // The store counts what its loads refused; a trainer's loads happen at resume.
    metrics.gaugeFrom(MetricNames.CHECKPOINTS_UNTRUSTED, () -> settings.store.untrustedRefused());
    metrics.gaugeFrom(
        MetricNames.CHECKPOINT_AGE,
        () -> (System.currentTimeMillis() - checkpointCreatedAtMs) / 1000.0);
    metrics.gaugeFromEach(
        MetricNames.CONSUMER_LAG,
        () -> {
          double lag = KafkaClientMetrics.recordsLag(consumerMetrics);
          return Double.isNaN(lag) ? Map.of() : Map.of(settings.consumerGroup, lag);
        });
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads the latest checkpoint and its progress (so errors show here) and starts the loop thread.
   */
  public synchronized void start() throws IOException {
    if (service.started()) {
      throw new IllegalStateException("already started");
    }
    core =
        TrainerCore.open(
            settings.store, settings.progressDir, settings.trainedRolloutLog, settings.options);
    stats = core.stats();
    checkpointCreatedAtMs = core.latestCheckpoint().createdAt().toEpochMilli();
    lastHeldOutAccuracy = stats.lastHeldOutAccuracy();
    if (settings.budgetTopic != null) {
      budget =
          new TrainerBudget(
              settings.bootstrapServers,
              settings.budgetTopic,
              trainerId(settings.progressDir),
              (settings.budgetStaleness + 1) * settings.options.batchGroups(),
              settings.budgetWriteOffAfter,
              System::currentTimeMillis);
    }
    service.start(this::run);
  }

  /**
   * The id this trainer signs its budget retirements with, kept in the progress directory: a
   * trainer that resumes the same progress (and so the same counters) recognises its own
   * retirements on the ledger.
   */
  private static String trainerId(Path progressDir) throws IOException {
    Path file = progressDir.resolve("budget-trainer-id");
    if (Files.isRegularFile(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    String id = "trainer-" + UUID.randomUUID();
    Files.createDirectories(progressDir);
    Path partial = progressDir.resolve("budget-trainer-id.partial");
    Files.writeString(partial, id + "\n", StandardCharsets.UTF_8);
    Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return id;
  }

  /**
   * Rollouts in flight by the budget ledger as this trainer last folded it (claimed by workers, not
   * yet read here); -1 without a budget or before the first fold.
   */
  public long budgetInFlightRollouts() {
    return budgetInFlight;
  }

  @Override
  public ServiceMetrics metrics() {
    return metrics;
  }

  /** Whether the trainer's thread runs. */
  @Override
  public boolean live() {
    return service.started() && !service.finished();
  }

  /**
   * Whether the thread runs with its policy loaded, has found its partitions and announced its
   * checkpoint, and its consumer holds a broker connection.
   */
  @Override
  public boolean ready() {
    return live() && resumed && KafkaClientMetrics.connected(consumerMetrics);
  }

  /** Counters and last-step figures (a snapshot taken after each poll). */
  public TrainerStats stats() {
    return stats;
  }

  /** The error that stopped the trainer (a JVM {@link Error} included), or null. */
  public Throwable failure() {
    return failure != null ? failure : service.failure();
  }

  /** Waits until the trainer's thread has ended (stopped, or failed). */
  public void awaitTermination() throws InterruptedException {
    service.awaitFinished();
  }

  private void run() {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer();
        KafkaProducer<byte[], byte[]> producer = producer();
        // Closed first: bounded, so that a stop does not wait out a broker that is gone.
        AutoCloseable bounded =
            () -> {
              producer.close(KafkaClients.CLOSE_TIMEOUT);
              consumer.close(KafkaClients.CLOSE_TIMEOUT);
            }) {
      consumerMetrics = consumer.metrics();
      seekToResume(consumer);
      announce(producer, CheckpointAnnouncement.of(core.latestCheckpoint(), Map.of()));
      if (budget != null) {
        retry.untilDone(
            "reading the budget ledger " + settings.budgetTopic,
            service::running,
            () -> {
              budget.open(core.stats().rolloutsConsumed(), service::running);
              return null;
            });
        reportBudget(producer);
      }
      resumed = true;
      long lastRecordMs = System.currentTimeMillis();
      while (service.running()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(200));
        } catch (OffsetOutOfRangeException e) {
          // Records the progress file says are still to be trained are gone: stop and say so.
          throw OffsetOutOfRange.error("trainer", consumer, e);
        }
        TrainerStats before = stats;
        for (ConsumerRecord<byte[], byte[]> record : records) {
          handle(record, producer);
        }
        long now = System.currentTimeMillis();
        if (!records.isEmpty()) {
          lastRecordMs = now;
        } else if (core.options().partialBatchAfterMs() > 0
            && now - lastRecordMs >= core.options().partialBatchAfterMs()) {
          long startNanos = System.nanoTime();
          List<TrainedStep> steps = core.trainPartialBatch();
          observeSteps(steps, startNanos);
          announceSteps(producer, steps);
          lastRecordMs = now;
        }
        stats = core.stats();
        countSince(before, stats);
        commitForVisibility(consumer);
        if (budget != null) {
          reportBudget(producer);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (StopRequestedException e) {
      // The checkpoint is in the store; a restarted trainer announces its newest one first.
      LOG.warn("{}", e.getMessage());
    } catch (Exception e) {
      failure = e;
      LOG.error("trainer stopped", e);
    } finally {
      stats = core.stats();
      core.close();
      if (budget != null) {
        budget.close();
      }
    }
  }

  /**
   * Publishes a budget retirement when the count of credited rollouts read changed. A broker that
   * is away for a moment is no reason to stop: the retirement is published on a later round.
   */
  private void reportBudget(KafkaProducer<byte[], byte[]> producer) throws Exception {
    try {
      Future<RecordMetadata> sent =
          budget.report(
              producer, stats.rolloutsConsumed(), stats.policyVersion(), service::running);
      if (sent != null) {
        service.awaitWhileRunning(sent, "a budget retirement");
      }
      InFlightLedger ledger = budget.ledger();
      budgetInFlight = ledger.inFlightRollouts();
    } catch (Exception e) {
      if (!BrokerRetry.isPassing(e)) {
        throw e;
      }
      budget.republish();
      LOG.warn("publishing the budget retirement failed (retrying): {}", e.toString());
    }
  }

  /**
   * Commits the offsets the latest checkpoint covers when they changed, asynchronously (the commit
   * is only for Kafka's tools, so the loop never waits for the group coordinator), again after a
   * failure but at most every few seconds.
   */
  private void commitForVisibility(KafkaConsumer<byte[], byte[]> consumer) {
    Map<Integer, Long> next = core.checkpointedOffsets();
    long now = System.currentTimeMillis();
    if (commitInFlight || next.equals(visibleOffsets) || now < nextCommitAttemptMs) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    next.forEach(
        (partition, offset) ->
            offsets.put(
                new TopicPartition(settings.creditedRolloutsTopic, partition),
                new OffsetAndMetadata(offset)));
    commitInFlight = true;
    // The callback runs in this thread, inside a later poll.
    consumer.commitAsync(
        offsets,
        (committed, error) -> {
          commitInFlight = false;
          if (error == null) {
            visibleOffsets = next;
          } else {
            nextCommitAttemptMs = System.currentTimeMillis() + COMMIT_RETRY_MS;
            LOG.warn(
                "committing {} to group {} failed (retrying): {}",
                offsets,
                settings.consumerGroup,
                error.toString());
          }
        });
  }

  private void handle(ConsumerRecord<byte[], byte[]> record, KafkaProducer<byte[], byte[]> producer)
      throws Exception {
    CreditedRollout decoded;
    try {
      decoded = CREDITED.decode(record.value());
    } catch (RecordDecodingException e) {
      if (core.reject(record.partition(), record.offset(), e.reason().label())) {
        deadLetter(producer, record, e.reason().label(), e);
      }
      return;
    }
    long lag = core.policy().version() - decoded.getPolicyVersion();
    long startNanos = System.nanoTime();
    TrainerCore.OfferResult result = core.offer(decoded, record.partition(), record.offset());
    observeSteps(result.steps(), startNanos);
    if (result.disposition() != TrainerCore.Disposition.DUPLICATE) {
      staleness.observe(lag);
      if (budget != null) {
        budget.arrived(decoded.getCreatedAtMs().toEpochMilli());
      }
    }
    if (result.disposition() == TrainerCore.Disposition.INVALID) {
      deadLetter(
          producer, record, result.reasonLabel(), new IllegalArgumentException(result.reason()));
    }
    announceSteps(producer, result.steps());
  }

  /**
   * Records the steps a core call started at {@code startNanos} took (the call's time shared among
   * them: a record completes at most a few batches) and the figures of the newest.
   */
  private void observeSteps(List<TrainedStep> steps, long startNanos) {
    if (steps.isEmpty()) {
      return;
    }
    double perStep = (System.nanoTime() - startNanos) / 1e9 / steps.size();
    for (TrainedStep step : steps) {
      stepSeconds.observe(perStep);
      Double reward = step.checkpoint().metrics().get("mean_reward");
      if (reward != null) {
        lastRewardMean = reward;
      }
      if (step.evaluation() != null) {
        lastHeldOutAccuracy = step.evaluation().sampledAccuracy();
      }
    }
    checkpointCreatedAtMs = core.latestCheckpoint().createdAt().toEpochMilli();
  }

  /**
   * Adds what the core counted between two snapshots to the Prometheus counters (the core's own
   * counters go on across restarts; a process's counters start at 0, as Prometheus expects).
   */
  private void countSince(TrainerStats before, TrainerStats after) {
    consumedCounter.inc(after.rolloutsConsumed() - before.rolloutsConsumed());
    trainedCounter.inc(after.rolloutsTrained() - before.rolloutsTrained());
    after
        .deadLettersByReason()
        .forEach(
            (reason, count) -> {
              long delta = count - before.deadLettersByReason().getOrDefault(reason, 0L);
              if (delta > 0) {
                deadLetterCounter.labelValues(reason).inc(delta);
              }
            });
  }

  private void announceSteps(KafkaProducer<byte[], byte[]> producer, List<TrainedStep> steps)
      throws Exception {
    for (TrainedStep step : steps) {
      Map<String, Double> extra =
          step.evaluation() == null
              ? Map.of()
              : Map.of(
                  "heldout_accuracy", step.evaluation().sampledAccuracy(),
                  "heldout_greedy_accuracy", step.evaluation().greedyAccuracy());
      announce(producer, CheckpointAnnouncement.of(step.checkpoint(), extra));
    }
  }

  private void announce(KafkaProducer<byte[], byte[]> producer, PolicyCheckpoint announcement)
      throws Exception {
    ProducerRecord<byte[], byte[]> record =
        announcementRecord(settings.checkpointsTopic, announcement);
    retry.untilDone(
        "announcing checkpoint v" + announcement.getVersion(),
        service::running,
        () ->
            service.awaitWhileRunning(
                producer.send(record), "checkpoint v" + announcement.getVersion()));
    LOG.info("announced checkpoint v{}", announcement.getVersion());
  }

  /**
   * The record announcing {@code announcement}, keyed by its version (decimal, UTF-8): the
   * checkpoints topic is compacted in a deployment, and a broker refuses a record without a key on
   * a compacted topic (INVALID_RECORD, which the producer does not retry). Keyed by version,
   * compaction keeps one announcement per version, so readers still see every version.
   */
  static ProducerRecord<byte[], byte[]> announcementRecord(
      String topic, PolicyCheckpoint announcement) {
    byte[] key = Long.toString(announcement.getVersion()).getBytes(StandardCharsets.UTF_8);
    return new ProducerRecord<>(topic, key, ANNOUNCEMENTS.encode(announcement));
  }

  private void deadLetter(
      KafkaProducer<byte[], byte[]> producer,
      ConsumerRecord<byte[], byte[]> record,
      String reason,
      Exception error)
      throws Exception {
    DeadLetter letter = ConsumedDeadLetters.of(record, "Trainer", reason, error);
    ProducerRecord<byte[], byte[]> out =
        new ProducerRecord<>(settings.deadLettersTopic, null, DEAD_LETTERS.encode(letter));
    retry.untilDone(
        "sending a dead letter (" + reason + ")",
        service::running,
        () -> service.awaitWhileRunning(producer.send(out), "a dead letter"));
  }

  private void seekToResume(KafkaConsumer<byte[], byte[]> consumer) throws Exception {
    List<PartitionInfo> infos =
        retry.untilDone(
            "reading the partitions of " + settings.creditedRolloutsTopic,
            service::running,
            () -> consumer.partitionsFor(settings.creditedRolloutsTopic, Duration.ofSeconds(30)));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException(
          "topic " + settings.creditedRolloutsTopic + " has no partitions (does it exist?)");
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : infos) {
      partitions.add(new TopicPartition(info.topic(), info.partition()));
    }
    consumer.assign(partitions);
    Map<Integer, Long> resume = core.resumeOffsets();
    for (TopicPartition partition : partitions) {
      Long offset = resume.get(partition.partition());
      if (offset == null) {
        consumer.seekToBeginning(List.of(partition));
      } else {
        consumer.seek(partition, offset);
      }
    }
    LOG.info("trainer reads {} from offsets {}", settings.creditedRolloutsTopic, resume);
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties props = KafkaClients.manualCommitConsumerProps(settings.bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup);
    // Read only what the credit pipeline committed (it may write transactionally).
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // Every position is set by seekToResume; one that is out of range means lost records, an
    // error (OffsetOutOfRange), never Kafka's silent jump to the end.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    return KafkaClients.bytesConsumer(props);
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return KafkaClients.reliableProducer(
        settings.bootstrapServers, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Stops after the current poll (and any step it triggered) and waits (at most 120 s). */
  @Override
  public void close() throws InterruptedException {
    service.stop();
  }

  /** Builder for {@link TrainerService}; bootstrap servers and checkpoint store are required. */
  public static final class Builder {
    private String bootstrapServers;
    private CheckpointStore store;
    private Path progressDir;
    private Path trainedRolloutLog;
    private String consumerGroup = "rredcot-trainer";
    private TrainerOptions options = TrainerOptions.builder().build();
    private String creditedRolloutsTopic = Topics.CREDITED_ROLLOUTS;
    private String checkpointsTopic = Topics.CHECKPOINTS;
    private String deadLettersTopic = Topics.DEAD_LETTERS;
    private String budgetTopic;
    private int budgetStaleness = 1;
    private Duration budgetWriteOffAfter = DEFAULT_WRITE_OFF_AFTER;

    private Builder() {}

    /**
     * Publishes the in-flight budget on ledger topic {@code budgetTopic} (usually {@link
     * Topics#ROLLOUT_BUDGET}; default: none): workers admit prompts while rollouts in flight stay
     * within (S + 1)·B groups, S = {@code staleness} (B is the options' batch groups). Rollouts
     * that stay in flight for {@code writeOffAfter} while neither a claim nor a credited rollout
     * arrives are written off (zero: never), so that what the credit job dead-lettered does not
     * close the budget for good.
     */
    public Builder optInFlightBudget(String budgetTopic, int staleness, Duration writeOffAfter) {
      this.budgetTopic = budgetTopic;
      this.budgetStaleness = staleness;
      this.budgetWriteOffAfter = writeOffAfter;
      return this;
    }

    /** Kafka bootstrap servers. */
    public Builder setBootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** Checkpoint store; must hold the initial policy (version 0) or later checkpoints. */
    public Builder setCheckpointStore(CheckpointStore store) {
      this.store = store;
      return this;
    }

    /** Progress directory (default: {@code <store root>-progress}, beside the store). */
    public Builder optProgressDir(Path progressDir) {
      this.progressDir = progressDir;
      return this;
    }

    /**
     * The trained-rollouts log, a TSV (default: {@value TrainerCore#TRAINED_ROLLOUTS_FILE} in the
     * store's root).
     */
    public Builder optTrainedRolloutLog(Path trainedRolloutLog) {
      this.trainedRolloutLog = trainedRolloutLog;
      return this;
    }

    /** Consumer group the checkpointed offsets are committed to (default rredcot-trainer). */
    public Builder optConsumerGroup(String consumerGroup) {
      this.consumerGroup = consumerGroup;
      return this;
    }

    /** TrainerService settings. */
    public Builder optOptions(TrainerOptions options) {
      this.options = options;
      return this;
    }

    /** Topic names (defaults from {@link Topics}). */
    public Builder optTopics(String creditedRollouts, String checkpoints, String deadLetters) {
      this.creditedRolloutsTopic = creditedRollouts;
      this.checkpointsTopic = checkpoints;
      this.deadLettersTopic = deadLetters;
      return this;
    }

    /** Validates and builds. */
    public TrainerService build() {
      Objects.requireNonNull(bootstrapServers, "setBootstrapServers(...) is required");
      Objects.requireNonNull(store, "setCheckpointStore(...) is required");
      Objects.requireNonNull(options, "options");
      if (progressDir == null) {
        Path root = store.root().toAbsolutePath();
        progressDir = root.resolveSibling(root.getFileName() + "-progress");
      }
      if (trainedRolloutLog == null) {
        trainedRolloutLog = store.root().resolve(TrainerCore.TRAINED_ROLLOUTS_FILE);
      }
      Objects.requireNonNull(consumerGroup, "consumerGroup");
      if (budgetStaleness < 0 || budgetWriteOffAfter.isNegative()) {
        throw new IllegalArgumentException(
            "the budget's staleness and write-off time must not be negative, got "
                + budgetStaleness
                + " and "
                + budgetWriteOffAfter);
      }
      return new TrainerService(this);
    }
  }
}
