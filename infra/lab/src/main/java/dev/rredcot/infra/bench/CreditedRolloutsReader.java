package dev.rredcot.infra.bench;

import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads credited rollouts back from their topic (every partition from the beginning, no consumer
 * group) and tells when a given set of rollout ids has come out, with the wall-clock time of the
 * first and last of them.
 */
final class CreditedRolloutsReader implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(50);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);
  private final Set<String> seen = new HashSet<>();

  /**
   * What one wait saw: when the first and the last expected record was read, and the sum of their
   * per-stage timings ({@code timingsMs}) by stage.
   */
  record Arrival(long firstNanos, long lastNanos, int records, Map<String, Double> stageMs) {}

  CreditedRolloutsReader(String bootstrapServers, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // A credited rollout counts when the trainer could read it: once its transaction committed.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer =
        new KafkaConsumer<>(
            KafkaClients.secured(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /**
   * Polls until every id of {@code rolloutIds} has been read (ids read by earlier waits count).
   *
   * @throws TimeoutException when they have not all come out within {@code timeoutMs}
   */
  Arrival awaitAll(Collection<String> rolloutIds, long timeoutMs) throws TimeoutException {
    Set<String> missing = new HashSet<>(rolloutIds);
    missing.removeAll(seen);
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    long firstNanos = 0;
    long lastNanos = 0;
    int records = 0;
    Map<String, Double> stageMs = new TreeMap<>();
    while (!missing.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            missing.size()
                + " of "
                + rolloutIds.size()
                + " rollouts not credited within "
                + timeoutMs
                + " ms");
      }
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
        CreditedRollout credited = codec.decode(record.value());
        String id = credited.getRolloutId();
        seen.add(id);
        if (missing.remove(id)) {
          credited.getTimingsMs().forEach((stage, ms) -> stageMs.merge(stage, ms, Double::sum));
          long now = System.nanoTime();
          firstNanos = records == 0 ? now : firstNanos;
          lastNanos = now;
          records++;
        }
      }
    }
    return new Arrival(firstNanos, lastNanos, records, stageMs);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
