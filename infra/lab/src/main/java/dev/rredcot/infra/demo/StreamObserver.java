package dev.rredcot.infra.demo;

import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the loop's output topics without joining a consumer group (it assigns every partition and
 * reads from the beginning), so a demo can show what the stream carries: credited rollouts, dead
 * letters and checkpoint announcements. Thread-safe snapshots; one background thread.
 */
final class StreamObserver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamObserver.class);
  private static final int RECENT_REWARDS = 512;
  private static final int SAMPLES_KEPT_PER_OUTCOME = 4;

  /** A checkpoint announcement as a point of the learning curve. */
  record CurvePoint(
      long version,
      long rolloutsTrained,
      double meanReward,
      double heldOutAccuracy,
      double heldOutGreedyAccuracy,
      long atMs) {}

  /** What the stream carried so far. */
  record Snapshot(
      long credited,
      long deadLetters,
      Map<String, Long> deadLettersByReason,
      double recentMeanReward,
      List<CurvePoint> curve,
      List<CreditedRollout> samples) {}

  private final String creditedTopic;
  private final String deadLetterTopic;
  private final String checkpointTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final RecordCodec<CreditedRollout> creditedCodec = RecordCodec.of(CreditedRollout.class);
  private final RecordCodec<DeadLetter> deadLetterCodec = RecordCodec.of(DeadLetter.class);
  private final RecordCodec<PolicyCheckpoint> checkpointCodec =
      RecordCodec.of(PolicyCheckpoint.class);

  private long credited;
  private long deadLetters;
  private final Map<String, Long> deadLettersByReason = new TreeMap<>();
  private final Deque<Double> recentRewards = new ArrayDeque<>();
  private final List<CurvePoint> curve = new ArrayList<>();
  private final Deque<CreditedRollout> correctSamples = new ArrayDeque<>();
  private final Deque<CreditedRollout> wrongSamples = new ArrayDeque<>();
  private long rolloutsTrained;

  StreamObserver(
      String bootstrapServers,
      String creditedTopic,
      String deadLetterTopic,
      String checkpointTopic) {
    this.creditedTopic = creditedTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.checkpointTopic = checkpointTopic;
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    this.consumer =
        new KafkaConsumer<>(
            KafkaClients.secured(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(creditedTopic, deadLetterTopic, checkpointTopic)) {
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::pollLoop, "rredcot-demo-observer");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  synchronized Snapshot snapshot() {
    double meanReward =
        recentRewards.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    return new Snapshot(
        credited,
        deadLetters,
        new TreeMap<>(deadLettersByReason),
        meanReward,
        List.copyOf(curve),
        java.util.stream.Stream.concat(correctSamples.stream(), wrongSamples.stream()).toList());
  }

  private void pollLoop() {
    try {
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(250))) {
          take(record);
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // close() woke us up: a normal stop.
    } catch (RuntimeException e) {
      LOG.error("the demo's stream observer stopped", e);
    }
  }

  private synchronized void take(ConsumerRecord<byte[], byte[]> record) {
    try {
      if (record.topic().equals(creditedTopic)) {
        takeCredited(creditedCodec.decode(record.value()));
      } else if (record.topic().equals(deadLetterTopic)) {
        DeadLetter letter = deadLetterCodec.decode(record.value());
        deadLetters++;
        deadLettersByReason.merge(letter.getStage() + "/" + letter.getReason(), 1L, Long::sum);
      } else if (record.topic().equals(checkpointTopic)) {
        takeCheckpoint(checkpointCodec.decode(record.value()));
      }
    } catch (RecordDecodingException e) {
      // The observer only watches; the stages that own these topics dead-letter bad records.
      deadLetters++;
      deadLettersByReason.merge("observer/" + e.reason().label(), 1L, Long::sum);
    }
  }

  private void takeCredited(CreditedRollout rollout) {
    credited++;
    recentRewards.addLast(rollout.getReward());
    if (recentRewards.size() > RECENT_REWARDS) {
      recentRewards.removeFirst();
    }
    // Keep the latest few correct and wrong multi-segment traces for the report's credit view.
    if (rollout.getSegmentRewards().size() > 1 && !sampled(rollout.getGroupId())) {
      Deque<CreditedRollout> kept = rollout.getReward() > 0 ? correctSamples : wrongSamples;
      kept.addLast(rollout);
      if (kept.size() > SAMPLES_KEPT_PER_OUTCOME) {
        kept.removeFirst();
      }
    }
  }

  /** Whether a trace of this group is among the samples already (one per group shows more). */
  private boolean sampled(String groupId) {
    return correctSamples.stream().anyMatch(kept -> kept.getGroupId().equals(groupId))
        || wrongSamples.stream().anyMatch(kept -> kept.getGroupId().equals(groupId));
  }

  private void takeCheckpoint(PolicyCheckpoint checkpoint) {
    Map<String, Double> metrics = checkpoint.getMetrics();
    // "rollouts" counts every rollout the step consumed; checkpoints written before it existed
    // carry only "traces", the rollouts with a gradient, which undercounts groups without signal.
    rolloutsTrained +=
        Math.round(metrics.getOrDefault("rollouts", metrics.getOrDefault("traces", 0.0)));
    curve.add(
        new CurvePoint(
            checkpoint.getVersion(),
            rolloutsTrained,
            metrics.getOrDefault("mean_reward", Double.NaN),
            metrics.getOrDefault("heldout_accuracy", Double.NaN),
            metrics.getOrDefault("heldout_greedy_accuracy", Double.NaN),
            checkpoint.getCreatedAtMs().toEpochMilli()));
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    consumer.wakeup();
    thread.join(10_000);
    // Take what the stopped components published last (the polling thread has ended).
    try {
      for (int quietPolls = 0; quietPolls < 2; ) {
        var records = consumer.poll(Duration.ofMillis(300));
        records.forEach(this::take);
        quietPolls = records.isEmpty() ? quietPolls + 1 : 0;
      }
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
