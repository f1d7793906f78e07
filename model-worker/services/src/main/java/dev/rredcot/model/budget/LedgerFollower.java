package dev.rredcot.model.budget;

import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the {@code rollout-budget} topic from its beginning with an assigned consumer (no group:
 * every reader needs the whole ledger) and folds it into an {@link InFlightLedger}; remembers the
 * verdict of the claim it waits for. Used by one thread. Closing it closes the consumer.
 */
public final class LedgerFollower implements AutoCloseable {

  /** Key of every ledger record: one key, one partition, one order. */
  public static final String KEY = "budget";

  static final RecordCodec<BudgetEvent> CODEC = RecordCodec.of(BudgetEvent.class);
  private static final Logger LOG = LoggerFactory.getLogger(LedgerFollower.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final InFlightLedger ledger = new InFlightLedger();
  private final Map<TopicPartition, Map<Long, InFlightLedger.Verdict>> awaited = new HashMap<>();
  private List<TopicPartition> partitions = List.of();
  private long eventsFolded;

  /** A follower of {@code topic} (not yet assigned: call {@link #assign()}). */
  public LedgerFollower(String bootstrapServers, String topic) {
    Properties props = KafkaClients.manualCommitConsumerProps(bootstrapServers);
    // The ledger is folded from its first kept record: a reader never skips events it has not read.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer = KafkaClients.bytesConsumer(props);
    this.topic = topic;
  }

  /** Assigns every partition of the topic from its beginning; fails when the topic is missing. */
  public void assign() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
    }
    List<TopicPartition> assigned = new ArrayList<>();
    for (PartitionInfo info : infos) {
      assigned.add(new TopicPartition(topic, info.partition()));
    }
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
    partitions = List.copyOf(assigned);
  }

  /** The topic followed. */
  public String topic() {
    return topic;
  }

  /** The fold so far. */
  public InFlightLedger ledger() {
    return ledger;
  }

  /** Events folded so far (undecodable records excluded). */
  public long eventsFolded() {
    return eventsFolded;
  }

  /** Polls once (waiting at most {@code wait}) and folds what arrived. */
  public void poll(Duration wait) {
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(wait)) {
      fold(record);
    }
  }

  /**
   * Folds until the consumer has read everything the topic held when this was called, so a decision
   * taken next sees every event written before it.
   */
  public void catchUp(BooleanSupplier running) {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    while (running.getAsBoolean() && behind(ends)) {
      poll(Duration.ofMillis(100));
    }
  }

  private boolean behind(Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) {
        return true;
      }
    }
    return false;
  }

  /** Marks the event at {@code partition}@{@code offset} as one whose verdict is wanted. */
  void expect(int partition, long offset) {
    awaited.computeIfAbsent(new TopicPartition(topic, partition), p -> new HashMap<>());
    awaited.get(new TopicPartition(topic, partition)).put(offset, null);
  }

  /**
   * Folds until the expected event at {@code partition}@{@code offset} has been folded, or {@code
   * timeout} passed or {@code running} turned false; returns its verdict if it was folded.
   */
  Optional<InFlightLedger.Verdict> awaitVerdict(
      int partition, long offset, Duration timeout, BooleanSupplier running) {
    TopicPartition key = new TopicPartition(topic, partition);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (running.getAsBoolean() && System.nanoTime() < deadline) {
        InFlightLedger.Verdict verdict = awaited.getOrDefault(key, Map.of()).get(offset);
        if (verdict != null) {
          return Optional.of(verdict);
        }
        poll(Duration.ofMillis(50));
      }
      return Optional.ofNullable(awaited.getOrDefault(key, Map.of()).get(offset));
    } finally {
      Map<Long, InFlightLedger.Verdict> pending = awaited.get(key);
      if (pending != null) {
        pending.remove(offset);
      }
    }
  }

  private void fold(ConsumerRecord<byte[], byte[]> record) {
    BudgetEvent event;
    try {
      event = CODEC.decode(record.value());
    } catch (RecordDecodingException e) {
      // A record nobody can read takes part in no verdict, for every reader alike.
      LOG.error(
          "undecodable budget event at {}-{}@{} ({}); skipped",
          record.topic(),
          record.partition(),
          record.offset(),
          e.reason().label());
      return;
    }
    InFlightLedger.Verdict verdict = ledger.apply(event);
    eventsFolded++;
    Map<Long, InFlightLedger.Verdict> pending =
        awaited.get(new TopicPartition(record.topic(), record.partition()));
    if (pending != null && pending.containsKey(record.offset())) {
      pending.put(record.offset(), verdict);
    }
  }

  @Override
  public void close() {
    consumer.close(KafkaClients.CLOSE_TIMEOUT);
  }
}
