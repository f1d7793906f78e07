package dev.rredcot.model.rollout;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.budget.WorkerBudget;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.CheckpointAdoption;
import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.model.metrics.ServiceMetrics;
import dev.rredcot.model.service.BrokerRetry;
import dev.rredcot.model.service.ConsumedDeadLetters;
import dev.rredcot.model.service.KafkaClientMetrics;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.service.RunningService;
import dev.rredcot.model.service.ServiceThread;
import dev.rredcot.model.service.StopRequestedException;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.schemas.AvroSerde;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import io.prometheus.metrics.core.metrics.Counter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka adapter of the rollout worker: consumes {@code prompts} (consumer group, manual commits),
 * samples G traces per prompt with the newest policy it holds ({@link RolloutGenerator}), publishes
 * the {@link Rollout}s keyed by group id, and commits the prompts' offsets only after every rollout
 * is acknowledged. It follows {@code checkpoints} from the beginning with its own assigned consumer
 * and swaps policies between batches ({@link PolicyFollower}); an announcement that fails
 * verification is skipped and the current policy kept. Undecodable prompts and prompts of unknown
 * task families go to {@code dead-letters}.
 *
 * <p>With the in-flight budget ({@link Builder#optInFlightBudget}), a batch is sampled only after
 * the ledger on {@code rollout-budget} accepted a claim for exactly its prompts: rollouts admitted
 * by all workers together minus those the trainer has read stay within the trainer's (S + 1)·B
 * groups ({@link WorkerBudget}); prompts the ledger has no room for are put back and waited for.
 *
 * <pre>{@code
 * try (RolloutWorker worker = RolloutWorker.builder().setBootstrapServers(servers)
 *     .setTaskFamilies(List.of(ArithmeticTask.defaults())).optGroupSize(8).build()) {
 *   worker.start();
 *   ...
 *   RolloutWorkerStats stats = worker.stats();
 * }
 * }</pre>
 */
public final class RolloutWorker implements RunningService {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutWorker.class);
  private static final RecordCodec<Prompt> PROMPTS = RecordCodec.of(Prompt.class);
  private static final RecordCodec<PolicyCheckpoint> CHECKPOINTS =
      RecordCodec.of(PolicyCheckpoint.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final Builder settings;
  private final RolloutGenerator generator;
  private final PolicyFollower follower;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong promptsServed = new AtomicLong();
  private final AtomicLong rolloutsPublished = new AtomicLong();
  private final AtomicLong promptsRejected = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private final ServiceMetrics metrics = new ServiceMetrics();
  private final Counter rolloutsCounter = metrics.counter(MetricNames.WORKER_ROLLOUTS_PUBLISHED);
  private final Counter promptsCounter = metrics.counter(MetricNames.WORKER_PROMPTS_SERVED);
  private final Counter deadLetterCounter = metrics.counter(MetricNames.DEAD_LETTERS);
  // The prompt consumer's own metrics (a live view), for readiness and lag.
  private volatile Map<MetricName, ? extends Metric> promptConsumerMetrics;
  // When the checkpoint of the policy in use was written, epoch ms; NaN while unknown.
  private volatile double policyCreatedAtMs = Double.NaN;
  private volatile double lastRewardMean = Double.NaN;
  // Created and used by the worker's thread; null without a budget.
  private WorkerBudget budget;
  private volatile long policyVersion = -1;
  private volatile long checkpointsAdopted;
  private volatile long checkpointsRejected;
  private volatile Throwable failure;
  private final BrokerRetry retry = BrokerRetry.standard();

  /** How long one attempt to commit served prompts may block before it is retried. */
  private static final Duration COMMIT_ATTEMPT = Duration.ofSeconds(3);

  private final ServiceThread service =
      new ServiceThread("rollout-worker", Duration.ofSeconds(60), false);

  private RolloutWorker(Builder settings) {
    this.settings = settings;
    this.generator =
        new RolloutGenerator(
            settings.families,
            settings.groupSize,
            settings.temperature,
            settings.maxTokens,
            Instant::now);
    this.follower = new PolicyFollower(settings.initialPolicy, settings.adoption);
    this.policyVersion = follower.currentVersion();
    metrics.gaugeFrom(MetricNames.POLICY_VERSION, () -> policyVersion);
    metrics.gaugeFrom(MetricNames.REWARD_MEAN, () -> lastRewardMean);
    metrics.gaugeFrom(
        MetricNames.CHECKPOINT_AGE,
        () -> (System.currentTimeMillis() - policyCreatedAtMs) / 1000.0);
    metrics.gaugeFromEach(
        MetricNames.CONSUMER_LAG,
        () -> {
          double lag = KafkaClientMetrics.recordsLag(promptConsumerMetrics);
          return Double.isNaN(lag) ? Map.of() : Map.of(settings.consumerGroup, lag);
        });
  }

  /**
   * Starts a builder: G 8, 8 prompts per batch, temperature 1, 64 tokens, group rollout-workers.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts the worker thread. */
  public void start() {
    service.start(this::run);
  }

  /** Current counters. */
  public RolloutWorkerStats stats() {
    return new RolloutWorkerStats(
        policyVersion,
        batches.get(),
        promptsServed.get(),
        rolloutsPublished.get(),
        promptsRejected.get(),
        checkpointsAdopted,
        checkpointsRejected,
        publishFailures.get());
  }

  /**
   * The error that stopped the worker (a JVM {@link Error} included), or null while it runs or
   * after a clean stop.
   */
  public Throwable failure() {
    return failure != null ? failure : service.failure();
  }

  @Override
  public ServiceMetrics metrics() {
    return metrics;
  }

  /** Whether the worker's thread runs. */
  @Override
  public boolean live() {
    return service.started() && !service.finished();
  }

  /** Whether the thread runs, holds a policy and its prompt consumer a broker connection. */
  @Override
  public boolean ready() {
    return live() && policyVersion >= 0 && KafkaClientMetrics.connected(promptConsumerMetrics);
  }

  /** Waits until the worker's thread has ended (stopped, or failed). */
  public void awaitTermination() throws InterruptedException {
    service.awaitFinished();
  }

  private void run() {
    try (KafkaConsumer<byte[], byte[]> prompts = promptConsumer();
        KafkaConsumer<byte[], byte[]> checkpoints = checkpointConsumer();
        KafkaProducer<String, byte[]> producer = producer();
        // Closed first: bounded, so that a stop does not wait out a broker that is gone.
        AutoCloseable bounded =
            () -> {
              producer.close(KafkaClients.CLOSE_TIMEOUT);
              checkpoints.close(KafkaClients.CLOSE_TIMEOUT);
              prompts.close(KafkaClients.CLOSE_TIMEOUT);
            }) {
      promptConsumerMetrics = prompts.metrics();
      prompts.subscribe(List.of(settings.promptsTopic));
      retry.untilDone(
          "reading the partitions of " + settings.checkpointsTopic,
          service::running,
          () -> {
            assignAll(checkpoints, settings.checkpointsTopic);
            return null;
          });
      if (settings.budgetTopic != null) {
        budget =
            new WorkerBudget(
                settings.bootstrapServers,
                settings.budgetTopic,
                "worker-" + UUID.randomUUID(),
                settings.consumerGroup,
                settings.groupSize);
        retry.untilDone(
            "reading the partitions of " + settings.budgetTopic,
            service::running,
            () -> {
              budget.start();
              return null;
            });
      }
      AvroSerde<Rollout> rolloutSerde = AvroSerde.of(Rollout.class);
      while (service.running()) {
        followCheckpoints(checkpoints, follower.current().isEmpty() ? POLL : Duration.ofMillis(1));
        if (follower.current().isEmpty()) {
          // No policy yet: wait for the first announcement without taking prompts.
          continue;
        }
        int admissible = settings.promptsPerBatch;
        if (budget != null) {
          budget.follow(Duration.ZERO);
          admissible = budget.admissiblePrompts(settings.promptsPerBatch);
          if (admissible == 0) {
            // The budget is full (or no trainer has spoken yet): poll paused, so the consumer
            // stays in its group without taking prompts, until the trainer retires rollouts.
            prompts.pause(prompts.assignment());
            prompts.poll(Duration.ZERO);
            budget.follow(POLL);
            continue;
          }
        }
        prompts.resume(prompts.paused());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        prompts.poll(POLL).forEach(records::add);
        if (records.isEmpty()) {
          continue;
        }
        if (budget != null) {
          records = admit(records, admissible, prompts, producer);
          if (records.isEmpty()) {
            continue;
          }
        }
        serve(records, prompts, producer, rolloutSerde);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      failure = e;
      LOG.error("rollout worker stopped", e);
    } finally {
      follower.close();
      if (budget != null) {
        budget.close();
      }
    }
  }

  /**
   * The first {@code admissible} of {@code records} if the ledger accepts a claim for them (the
   * others are put back); none if it refuses (all put back: another worker took the room first).
   */
  private List<ConsumerRecord<byte[], byte[]>> admit(
      List<ConsumerRecord<byte[], byte[]>> records,
      int admissible,
      KafkaConsumer<byte[], byte[]> prompts,
      KafkaProducer<String, byte[]> producer)
      throws Exception {
    // A poll's records come partition by partition in offset order, so a prefix is, per
    // partition, a run of consecutive offsets: what a claim describes.
    List<ConsumerRecord<byte[], byte[]>> taken =
        new ArrayList<>(records.subList(0, Math.min(admissible, records.size())));
    rewind(prompts, records.subList(taken.size(), records.size()));
    boolean accepted;
    try {
      accepted = budget.claim(producer, settings.promptsTopic, taken, service::running);
    } catch (ExecutionException e) {
      LOG.warn("claiming {} prompts failed; they are put back: {}", taken.size(), e.getMessage());
      accepted = false;
    }
    if (!accepted) {
      rewind(prompts, taken);
      return List.of();
    }
    return taken;
  }

  private void serve(
      List<ConsumerRecord<byte[], byte[]>> records,
      KafkaConsumer<byte[], byte[]> prompts,
      KafkaProducer<String, byte[]> producer,
      AvroSerde<Rollout> rolloutSerde)
      throws Exception {
    PolicyBackend policy = follower.current().orElseThrow();
    List<Prompt> decoded = new ArrayList<>();
    Map<String, ConsumerRecord<byte[], byte[]>> sourceOf = new HashMap<>();
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      try {
        Prompt prompt = PROMPTS.decode(record.value());
        decoded.add(prompt);
        sourceOf.put(prompt.getId(), record);
      } catch (RecordDecodingException e) {
        acks.add(deadLetter(producer, record, e.reason().label(), e));
      }
    }
    GeneratedBatch batch = generator.generate(policy, decoded);
    for (GeneratedBatch.Rejected rejected : batch.rejected()) {
      acks.add(
          deadLetter(
              producer,
              sourceOf.get(rejected.prompt().getId()),
              "rejected-prompt",
              new IllegalArgumentException(rejected.reason())));
    }
    for (Rollout rollout : batch.rollouts()) {
      acks.add(
          producer.send(
              new ProducerRecord<>(
                  settings.rolloutsTopic,
                  rollout.getGroupId(),
                  rolloutSerde.serializer().serialize(settings.rolloutsTopic, rollout))));
    }
    try {
      for (Future<RecordMetadata> ack : acks) {
        service.awaitWhileRunning(ack, "a batch of rollouts");
      }
    } catch (StopRequestedException e) {
      // Not committed: whoever takes these prompts next samples them again under the same ids.
      LOG.info("{}; its {} prompts are left uncommitted", e.getMessage(), records.size());
      return;
    } catch (Exception e) {
      // Not committed: rewind so the same prompts are sampled again (same ids if the policy is
      // unchanged; consumers deduplicate on them).
      publishFailures.incrementAndGet();
      LOG.error("publishing a batch of {} prompts failed; retrying it", records.size(), e);
      rewind(prompts, records);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        service.requestStop();
      }
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> served = nextOffsets(records);
    try {
      retry.untilDone(
          "committing " + served,
          service::running,
          () -> {
            // A short attempt, retried while running: a stop requested while the broker is gone
            // waits for one attempt, not for the client's whole API timeout (15 s).
            prompts.commitSync(served, COMMIT_ATTEMPT);
            return null;
          });
    } catch (Exception e) {
      if (!(e instanceof CommitFailedException) && !service.running()) {
        // Stopping while the broker does not answer: the rollouts are published, the offsets not;
        // whoever takes these prompts next samples them again under the same ids, and consumers
        // drop the copies, as after a crash.
        rolloutsPublished.addAndGet(batch.rollouts().size());
        LOG.info(
            "stopping before committing {} could succeed ({}); the prompts will be served again",
            served,
            e.getMessage());
        return;
      }
      if (!(e instanceof CommitFailedException)) {
        throw e;
      }
      // The group gave these prompts to a member (perhaps this one, rejoined) while the batch ran,
      // e.g. when the session expired during a broker outage. Whoever holds them now samples them
      // again from the committed offset under the same ids, and consumers drop the copies.
      rolloutsPublished.addAndGet(batch.rollouts().size());
      LOG.warn(
          "committing {} failed after a rebalance; the prompts will be served again: {}",
          served,
          e.getMessage());
      return;
    }
    int unsampled = records.size() - decoded.size() + batch.rejected().size();
    if (budget != null && unsampled > 0) {
      // Claimed but never sampled (dead letters): no rollout of theirs will reach the trainer.
      budget.release(producer, (long) unsampled * settings.groupSize);
    }
    batches.incrementAndGet();
    promptsServed.addAndGet(decoded.size() - batch.rejected().size());
    promptsRejected.addAndGet(records.size() - decoded.size() + batch.rejected().size());
    rolloutsPublished.addAndGet(batch.rollouts().size());
    promptsCounter.inc(decoded.size() - batch.rejected().size());
    rolloutsCounter.inc(batch.rollouts().size());
    if (!batch.rollouts().isEmpty()) {
      double rewardSum = 0;
      for (Rollout rollout : batch.rollouts()) {
        rewardSum += rollout.getReward();
      }
      lastRewardMean = rewardSum / batch.rollouts().size();
    }
  }

  private Future<RecordMetadata> deadLetter(
      KafkaProducer<String, byte[]> producer,
      ConsumerRecord<byte[], byte[]> record,
      String reason,
      Exception error) {
    LOG.error(
        "prompt at {}-{}@{} goes to dead letters: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        error.getMessage());
    DeadLetter letter = ConsumedDeadLetters.of(record, "RolloutWorker", reason, error);
    deadLetterCounter.labelValues(reason).inc();
    return producer.send(
        new ProducerRecord<>(
            settings.deadLettersTopic, null, RecordCodec.of(DeadLetter.class).encode(letter)));
  }

  private void followCheckpoints(KafkaConsumer<byte[], byte[]> checkpoints, Duration wait) {
    List<PolicyCheckpoint> announcements = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : checkpoints.poll(wait)) {
      try {
        announcements.add(CHECKPOINTS.decode(record.value()));
      } catch (RecordDecodingException e) {
        LOG.error(
            "undecodable checkpoint announcement at offset {} ({}); skipped",
            record.offset(),
            e.reason().label());
      }
    }
    if (!announcements.isEmpty()) {
      follower.offerAll(announcements);
      if (follower.currentVersion() != policyVersion) {
        policyCreatedAtMs = Double.NaN;
      }
      // The age is known once an announcement of the version in use was read (the initial
      // policy's too: the trainer announces the checkpoint it resumed from).
      for (PolicyCheckpoint announcement : announcements) {
        if (announcement.getVersion() == follower.currentVersion()) {
          policyCreatedAtMs = announcement.getCreatedAtMs().toEpochMilli();
        }
      }
      policyVersion = follower.currentVersion();
      checkpointsAdopted = follower.adoptedCount();
      checkpointsRejected = follower.rejectedCount();
    }
  }

  private static void assignAll(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
    }
    for (PartitionInfo info : infos) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      List<ConsumerRecord<byte[], byte[]>> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.merge(
          new TopicPartition(record.topic(), record.partition()),
          new OffsetAndMetadata(record.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    return offsets;
  }

  private static void rewind(
      KafkaConsumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      first.merge(
          new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
    }
    first.forEach(consumer::seek);
  }

  private KafkaConsumer<byte[], byte[]> promptConsumer() {
    Properties props = KafkaClients.manualCommitConsumerProps(settings.bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.promptsPerBatch);
    // Generation of a batch can take tens of seconds on a busy CPU.
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000);
    // A worker that dies holds its partitions until its session expires; a restarted one (or the
    // others) get them after 10 s rather than the default 45 s. Heartbeats come from the client's
    // own thread, so a long generation does not end the session.
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
    return KafkaClients.bytesConsumer(props);
  }

  private KafkaConsumer<byte[], byte[]> checkpointConsumer() {
    Properties props = KafkaClients.manualCommitConsumerProps(settings.bootstrapServers);
    // Announcements are hints read from the beginning; one deleted before it was read is harmless.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return KafkaClients.bytesConsumer(props);
  }

  private KafkaProducer<String, byte[]> producer() {
    return KafkaClients.reliableProducer(
        settings.bootstrapServers, new StringSerializer(), new ByteArraySerializer());
  }

  /** Stops the loop after the current batch and waits for it (at most 60 s). */
  @Override
  public void close() throws InterruptedException {
    if (!service.stop()) {
      follower.close();
    }
  }

  /** Builder for {@link RolloutWorker}; bootstrap servers and task families are required. */
  public static final class Builder {
    private String bootstrapServers;
    private List<TaskFamily> families;
    private PolicyBackend initialPolicy;
    private CheckpointAdoption adoption;
    private int groupSize = 8;
    private int promptsPerBatch = 8;
    private double temperature = 1.0;
    private int maxTokens = 64;
    private String budgetTopic;
    private String consumerGroup = "rollout-workers";
    private String promptsTopic = Topics.PROMPTS;
    private String rolloutsTopic = Topics.ROLLOUTS;
    private String checkpointsTopic = Topics.CHECKPOINTS;
    private String deadLettersTopic = Topics.DEAD_LETTERS;

    private Builder() {}

    /** Kafka bootstrap servers. */
    public Builder setBootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** Task families whose prompts this worker can verify. */
    public Builder setTaskFamilies(List<TaskFamily> families) {
      this.families = List.copyOf(families);
      return this;
    }

    /**
     * Policy to start with (the worker owns and closes it); without one the worker waits for the
     * first announcement on {@code checkpoints}.
     */
    public Builder optInitialPolicy(PolicyBackend initialPolicy) {
      this.initialPolicy = initialPolicy;
      return this;
    }

    /** The worker's own checkpoint store (required): announced versions are loaded from it only. */
    public Builder setCheckpointStore(CheckpointStore store) {
      this.adoption = new CheckpointAdoption(store);
      return this;
    }

    /** G, traces per prompt (default 8). */
    public Builder optGroupSize(int groupSize) {
      this.groupSize = groupSize;
      return this;
    }

    /** Most prompts per generation batch (default 8). */
    public Builder optPromptsPerBatch(int promptsPerBatch) {
      this.promptsPerBatch = promptsPerBatch;
      return this;
    }

    /** Sampling temperature (default 1). */
    public Builder optTemperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Most tokens per trace (default 64). */
    public Builder optMaxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    /**
     * The global in-flight budget on ledger topic {@code budgetTopic} (usually {@link
     * Topics#ROLLOUT_BUDGET}; default: none, no bound): sample a prompt only once the ledger
     * accepted it, i.e. while rollouts admitted by all workers together minus those the trainer has
     * read stay within the (S + 1)·B groups the trainer publishes. Until a trainer has published,
     * nothing is sampled.
     */
    public Builder optInFlightBudget(String budgetTopic) {
      this.budgetTopic = budgetTopic;
      return this;
    }

    /** Consumer group of the prompt consumer (default rollout-workers). */
    public Builder optConsumerGroup(String consumerGroup) {
      this.consumerGroup = consumerGroup;
      return this;
    }

    /** Topic names (defaults from {@link Topics}). */
    public Builder optTopics(
        String promptsTopic, String rolloutsTopic, String checkpointsTopic, String deadLetters) {
      this.promptsTopic = promptsTopic;
      this.rolloutsTopic = rolloutsTopic;
      this.checkpointsTopic = checkpointsTopic;
      this.deadLettersTopic = deadLetters;
      return this;
    }

    /** Validates and builds. */
    public RolloutWorker build() {
      Objects.requireNonNull(bootstrapServers, "setBootstrapServers(...) is required");
      Objects.requireNonNull(families, "setTaskFamilies(...) is required");
      Objects.requireNonNull(adoption, "setCheckpointStore(...) is required");
      if (families.isEmpty()) {
        throw new IllegalArgumentException("at least one task family is needed");
      }
      if (promptsPerBatch <= 0) {
        throw new IllegalArgumentException(
            "promptsPerBatch must be positive, got " + promptsPerBatch);
      }
      return new RolloutWorker(this);
    }
  }
}
