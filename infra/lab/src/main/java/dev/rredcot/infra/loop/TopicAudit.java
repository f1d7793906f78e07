package dev.rredcot.infra.loop;

import dev.rredcot.model.rollout.RolloutIds;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Prompt;
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
 * Reads {@code prompts}, {@code rollouts}, {@code credited-rollouts} and {@code dead-letters} from
 * their beginning for the whole run, through broker restarts, and keeps how many times each prompt
 * (id and attempt) is on {@code prompts}, every rollout id seen on the others (a dead letter's id
 * is that of the record it carries), when records of each topic arrived, and when each id first
 * arrived on {@code rollouts} and on {@code credited-rollouts}: what the credit job's lag ({@link
 * #creditLag}) is measured from.
 */
public final class TopicAudit implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAudit.class);
  private static final List<String> TOPICS =
      List.of(Topics.PROMPTS, Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS);
  private static final RecordCodec<Prompt> PROMPTS = RecordCodec.of(Prompt.class);
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED =
      RecordCodec.of(CreditedRollout.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);

  private final String bootstrapServers;
  // Prompt id#attempt to how many records of it are on the topic, in arrival order.
  private final Map<String, Integer> prompts = new LinkedHashMap<>();
  // Rollout id to when it first arrived here, in arrival order.
  private final Map<String, Long> produced = new LinkedHashMap<>();
  private final Map<String, Long> credited = new LinkedHashMap<>();
  private final Map<String, String> dead = new LinkedHashMap<>();
  private final Map<String, List<Long>> arrivals = new HashMap<>();
  private long records;
  private int undecodable;
  private volatile boolean running = true;
  private final Thread thread;

  /**
   * The credit job's backlog at one moment.
   *
   * @param records ids on {@code rollouts} neither credited nor dead-lettered yet
   * @param oldestS how long the oldest of them has waited, in seconds (0 when there is none)
   */
  public record CreditLag(int records, double oldestS) {}

  public TopicAudit(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    this.thread = new Thread(this::run, "loop-topic-audit");
    this.thread.setDaemon(true);
  }

  public void start() {
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
        LOG.error("the topic audit's consumer failed", e);
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
          case Topics.PROMPTS -> {
            Prompt prompt = PROMPTS.decode(record.value());
            String attempt = prompt.getMetadata().get(RolloutIds.ATTEMPT_METADATA_KEY);
            prompts.merge(
                prompt.getId() + "#" + (attempt != null ? attempt : "0"), 1, Integer::sum);
          }
          case Topics.ROLLOUTS ->
              produced.putIfAbsent(ROLLOUTS.decode(record.value()).getRolloutId(), nowMs);
          case Topics.CREDITED_ROLLOUTS ->
              credited.putIfAbsent(CREDITED.decode(record.value()).getRolloutId(), nowMs);
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
  public synchronized long firstArrivalAfter(String topic, long afterMs) {
    for (long arrival : arrivals.getOrDefault(topic, List.of())) {
      if (arrival > afterMs) {
        return arrival;
      }
    }
    return -1;
  }

  /** When the last records of any topic arrived, or -1. */
  public synchronized long lastArrival() {
    long last = -1;
    for (List<Long> times : arrivals.values()) {
      last = Math.max(last, times.get(times.size() - 1));
    }
    return last;
  }

  public synchronized Set<String> produced() {
    return new LinkedHashSet<>(produced.keySet());
  }

  public synchronized Set<String> credited() {
    return new LinkedHashSet<>(credited.keySet());
  }

  /**
   * The ids on {@code rollouts} that the credit job has neither credited nor dead-lettered at
   * {@code nowMs}, and the age of the oldest (as seen by this reader, within its poll interval).
   */
  public synchronized CreditLag creditLag(long nowMs) {
    int records = 0;
    long oldestMs = -1;
    for (Map.Entry<String, Long> rollout : produced.entrySet()) {
      String id = rollout.getKey();
      if (!credited.containsKey(id) && !dead.containsKey(id)) {
        records++;
        if (oldestMs < 0) {
          oldestMs = rollout.getValue();
        }
      }
    }
    return new CreditLag(records, oldestMs < 0 ? 0 : Math.max(0, nowMs - oldestMs) / 1000.0);
  }

  /**
   * Seconds from each id's arrival on {@code rollouts} to its arrival on {@code credited-rollouts},
   * for the ids credited in {@code [fromMs, toMs)}.
   */
  public synchronized List<Double> creditLatenciesS(long fromMs, long toMs) {
    List<Double> latencies = new ArrayList<>();
    for (Map.Entry<String, Long> rollout : credited.entrySet()) {
      long creditedMs = rollout.getValue();
      Long producedMs = produced.get(rollout.getKey());
      if (producedMs != null && creditedMs >= fromMs && creditedMs < toMs) {
        latencies.add(Math.max(0, creditedMs - producedMs) / 1000.0);
      }
    }
    return latencies;
  }

  /** Rollout id to {@code stage<TAB>reason} of its first dead letter. */
  public synchronized Map<String, String> dead() {
    return new LinkedHashMap<>(dead);
  }

  /** Prompt {@code id#attempt} to the number of its records on {@code prompts}. */
  public synchronized Map<String, Integer> prompts() {
    return new LinkedHashMap<>(prompts);
  }

  public synchronized int producedCount() {
    return produced.size();
  }

  public synchronized int creditedCount() {
    return credited.size();
  }

  public synchronized int deadCount() {
    return dead.size();
  }

  public synchronized long records() {
    return records;
  }

  public synchronized int undecodable() {
    return undecodable;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
  }
}
