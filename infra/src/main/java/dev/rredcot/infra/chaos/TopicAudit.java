package dev.rredcot.infra.chaos;

import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code rollouts}, {@code credited-rollouts} and {@code dead-letters} from their beginning
 * for the whole run, through broker restarts, and keeps every rollout id seen on each (a dead
 * letter's id is that of the record it carries) and when records of each topic arrived.
 */
final class TopicAudit implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAudit.class);
  private static final List<String> TOPICS =
      List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS);
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED =
      RecordCodec.of(CreditedRollout.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);

  private final String bootstrapServers;
  private final Set<String> produced = new LinkedHashSet<>();
  private final Set<String> credited = new LinkedHashSet<>();
  private final Map<String, String> dead = new LinkedHashMap<>();
  private final Map<String, List<Long>> arrivals = new HashMap<>();
  private long records;
  private int undecodable;
  private volatile boolean running = true;
  private final Thread thread;

  TopicAudit(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    this.thread = new Thread(this::run, "chaos-audit");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // What the trainer sees: records of aborted transactions (the credit job's writes before a
    // crash) are not credited rollouts.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // Back within a second of the broker's return, so recovery times are not the backoff's.
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : TOPICS) {
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofMinutes(2))) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
        List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
        consumer.poll(Duration.ofMillis(200)).forEach(batch::add);
        if (!batch.isEmpty()) {
          take(batch, System.currentTimeMillis());
        }
      }
    } catch (RuntimeException e) {
      if (running) {
        LOG.error("the chaos audit's consumer failed", e);
      }
    }
  }

  private synchronized void take(List<ConsumerRecord<byte[], byte[]>> batch, long nowMs) {
    Set<String> topics = new LinkedHashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      records++;
      topics.add(record.topic());
      try {
        switch (record.topic()) {
          case Topics.ROLLOUTS -> produced.add(ROLLOUTS.decode(record.value()).getRolloutId());
          case Topics.CREDITED_ROLLOUTS ->
              credited.add(CREDITED.decode(record.value()).getRolloutId());
          default -> {
            DeadLetter letter = DEAD_LETTERS.decode(record.value());
            String id = rolloutId(letter.getValue());
            dead.putIfAbsent(
                id != null ? id : "undecodable@" + record.partition() + ":" + record.offset(),
                letter.getStage() + "\t" + letter.getReason());
          }
        }
      } catch (RecordDecodingException e) {
        undecodable++;
      }
    }
    for (String topic : topics) {
      arrivals.computeIfAbsent(topic, t -> new ArrayList<>()).add(nowMs);
    }
  }

  private static String rolloutId(ByteBuffer value) {
    if (value == null) {
      return null;
    }
    byte[] bytes = new byte[value.remaining()];
    value.duplicate().get(bytes);
    try {
      return ROLLOUTS.decode(bytes).getRolloutId();
    } catch (RecordDecodingException notARollout) {
      try {
        return CREDITED.decode(bytes).getRolloutId();
      } catch (RecordDecodingException e) {
        return null;
      }
    }
  }

  /** When records of {@code topic} first arrived after {@code afterMs}, or -1. */
  synchronized long firstArrivalAfter(String topic, long afterMs) {
    for (long arrival : arrivals.getOrDefault(topic, List.of())) {
      if (arrival > afterMs) {
        return arrival;
      }
    }
    return -1;
  }

  /** When the last records of any topic arrived, or -1. */
  synchronized long lastArrival() {
    long last = -1;
    for (List<Long> times : arrivals.values()) {
      last = Math.max(last, times.get(times.size() - 1));
    }
    return last;
  }

  synchronized Set<String> produced() {
    return new LinkedHashSet<>(produced);
  }

  synchronized Set<String> credited() {
    return new LinkedHashSet<>(credited);
  }

  /** Rollout id to {@code stage<TAB>reason} of its first dead letter. */
  synchronized Map<String, String> dead() {
    return new LinkedHashMap<>(dead);
  }

  synchronized int producedCount() {
    return produced.size();
  }

  synchronized int creditedCount() {
    return credited.size();
  }

  synchronized int deadCount() {
    return dead.size();
  }

  synchronized long records() {
    return records;
  }

  synchronized int undecodable() {
    return undecodable;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
  }
}
