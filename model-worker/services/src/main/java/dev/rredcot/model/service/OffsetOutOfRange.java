package dev.rredcot.model.service;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Turns a consumer's {@link OffsetOutOfRangeException} (with {@code auto.offset.reset=none}) into
 * an error that says what happened and where the runbook is, instead of the silent jump to the end
 * of the log that Kafka's default reset ({@code latest}) would make.
 */
public final class OffsetOutOfRange {
  /** Where the operator's steps are documented. */
  public static final String RUNBOOK = "docs/OPERATIONS.md#out-of-range-offsets";

  private OffsetOutOfRange() {}

  /**
   * The error for {@code e}: each partition with the offset it was at and the range the log holds
   * now (when the broker answers), the likely causes and the runbook.
   */
  public static IllegalStateException error(
      String reader, Consumer<?, ?> consumer, OffsetOutOfRangeException e) {
    Map<TopicPartition, Long> positions = new TreeMap<>(OffsetOutOfRange::compare);
    positions.putAll(e.offsetOutOfRangePartitions());
    StringBuilder message = new StringBuilder(reader).append(": offsets out of range:");
    Map<TopicPartition, Long> first = Map.of();
    Map<TopicPartition, Long> end = Map.of();
    try {
      Set<TopicPartition> partitions = positions.keySet();
      first = consumer.beginningOffsets(partitions, Duration.ofSeconds(10));
      end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
    } catch (KafkaException lookupFailed) {
      // The ranges only help the reader of the message; the error stands without them.
    }
    for (Map.Entry<TopicPartition, Long> entry : positions.entrySet()) {
      TopicPartition partition = entry.getKey();
      message
          .append(' ')
          .append(partition.topic())
          .append(" partition ")
          .append(partition.partition())
          .append(" at offset ")
          .append(entry.getValue());
      if (first.containsKey(partition) && end.containsKey(partition)) {
        message
            .append(" (the log holds ")
            .append(first.get(partition))
            .append("..")
            .append(end.get(partition))
            .append(')');
      }
      message.append(';');
    }
    message
        .append(
            " records were deleted (retention, deleteRecords) before they were read, or the topic"
                + " was deleted and recreated. Not skipping silently; see ")
        .append(RUNBOOK);
    return new IllegalStateException(message.toString(), e);
  }

  private static int compare(TopicPartition a, TopicPartition b) {
    int byTopic = a.topic().compareTo(b.topic());
    return byTopic != 0 ? byTopic : Integer.compare(a.partition(), b.partition());
  }
}
