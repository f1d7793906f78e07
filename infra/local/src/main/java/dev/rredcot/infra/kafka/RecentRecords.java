package dev.rredcot.infra.kafka;

import dev.rredcot.model.service.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the newest records of a topic (the last few of each partition) without a consumer group,
 * within a time bound: what {@code rredcot status} needs to tell which policy versions are in use.
 */
public final class RecentRecords {
  private RecentRecords() {}

  /**
   * The values of at most {@code perPartition} newest records of each partition of {@code topic},
   * given its partitions' end offsets; fewer when {@code timeout} runs out first.
   */
  public static List<byte[]> read(
      String bootstrapServers, TopicAdmin.TopicSummary topic, int perPartition, Duration timeout) {
    Properties props = KafkaClients.manualCommitConsumerProps(bootstrapServers);
    int timeoutMs = (int) Math.max(1, timeout.toMillis());
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    // A viewer of the newest records: if older ones were deleted meanwhile, start at the first
    // kept.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<byte[]> values = new ArrayList<>();
    Map<TopicPartition, Long> ends = new HashMap<>();
    for (int partition = 0; partition < topic.partitions(); partition++) {
      long end = topic.endOffsets().get(partition);
      if (end > 0) {
        ends.put(new TopicPartition(topic.name(), partition), end);
      }
    }
    if (ends.isEmpty()) {
      return values;
    }
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(props)) {
      consumer.assign(ends.keySet());
      ends.forEach((partition, end) -> consumer.seek(partition, Math.max(0, end - perPartition)));
      long deadline = System.nanoTime() + timeout.toNanos();
      Map<TopicPartition, Long> remaining = new HashMap<>(ends);
      while (!remaining.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          Long end = remaining.get(partition);
          if (end != null && record.offset() < end) {
            values.add(record.value());
          }
        }
        // Done with a partition once its position reached the end offset seen by the admin
        // (records deleted by retention or transaction markers leave no record to wait for).
        remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
      }
    }
    return values;
  }
}
