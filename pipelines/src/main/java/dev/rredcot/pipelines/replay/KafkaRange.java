package dev.rredcot.pipelines.replay;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A bounded range of a topic: per partition, offsets {@code [start, stop)}. {@link #resolve} turns
 * the replay options (offsets or times) into offsets once, at job start, by asking the broker, so
 * the job reads exactly that range whatever arrives later.
 */
public final class KafkaRange implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String topic;
  private final TreeMap<Integer, long[]> offsets;

  public KafkaRange(String topic, Map<Integer, long[]> offsets) {
    this.topic = topic;
    this.offsets = new TreeMap<>(offsets);
  }

  public String topic() {
    return topic;
  }

  /** Partition → {start (inclusive), stop (exclusive)}, empty ranges included. */
  public Map<Integer, long[]> offsets() {
    return Collections.unmodifiableMap(offsets);
  }

  /**
   * Whether a position given on a command line is a time (ISO-8601) rather than offsets: offsets
   * look like {@code 0:120,1:98}, anything with a date separator is a time.
   */
  public static boolean isTime(String position) {
    return position.contains("T") || position.matches("\\d{4}-.*");
  }

  /** Records in the range. */
  public long size() {
    long size = 0;
    for (long[] range : offsets.values()) {
      size += Math.max(0, range[1] - range[0]);
    }
    return size;
  }

  /**
   * Resolves the range against the broker. Start: {@code fromOffsets} for listed partitions, else
   * the first offset at or after {@code fromTime}, else the earliest. Stop: {@code toOffsets}, else
   * the first offset at or after {@code toTime}, else the end offset now.
   *
   * @throws IllegalArgumentException for malformed options or unknown partitions
   */
  public static KafkaRange resolve(
      String bootstrapServers,
      Map<String, String> clientConfig,
      String topic,
      String fromOffsets,
      String toOffsets,
      String fromTime,
      String toTime) {
    Map<Integer, Long> from = parseOffsets("--from-offsets", fromOffsets);
    Map<Integer, Long> to = parseOffsets("--to-offsets", toOffsets);
    Instant fromInstant = parseTime("--from-time", fromTime);
    Instant toInstant = parseTime("--to-time", toTime);
    Properties props = new Properties();
    props.putAll(clientConfig);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    // Only looks offsets up (never polls); explicit like every consumer of the project.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("topic " + topic + " has no partitions");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      for (Integer p : from.keySet()) {
        requirePartition("--from-offsets", topic, p, infos.size());
      }
      for (Integer p : to.keySet()) {
        requirePartition("--to-offsets", topic, p, infos.size());
      }
      Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, TIMEOUT);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
      Map<TopicPartition, OffsetAndTimestamp> fromTimes =
          fromInstant == null ? Map.of() : offsetsForTime(consumer, partitions, fromInstant);
      Map<TopicPartition, OffsetAndTimestamp> toTimes =
          toInstant == null ? Map.of() : offsetsForTime(consumer, partitions, toInstant);
      Map<Integer, long[]> ranges = new HashMap<>();
      for (TopicPartition tp : partitions) {
        long start =
            from.containsKey(tp.partition())
                ? from.get(tp.partition())
                : fromInstant != null ? atOrEnd(fromTimes.get(tp), end.get(tp)) : beginning.get(tp);
        long stop =
            to.containsKey(tp.partition())
                ? to.get(tp.partition())
                : toInstant != null ? atOrEnd(toTimes.get(tp), end.get(tp)) : end.get(tp);
        ranges.put(tp.partition(), new long[] {start, Math.max(start, stop)});
      }
      return new KafkaRange(topic, ranges);
    }
  }

  private static Map<TopicPartition, OffsetAndTimestamp> offsetsForTime(
      KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Instant time) {
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition tp : partitions) {
      query.put(tp, time.toEpochMilli());
    }
    return consumer.offsetsForTimes(query, TIMEOUT);
  }

  private static long atOrEnd(OffsetAndTimestamp found, long end) {
    return found == null ? end : found.offset();
  }

  private static void requirePartition(String option, String topic, int partition, int count) {
    if (partition < 0 || partition >= count) {
      throw new IllegalArgumentException(
          option + ": topic " + topic + " has partitions 0.." + (count - 1) + ", not " + partition);
    }
  }

  static Map<Integer, Long> parseOffsets(String option, String value) {
    Map<Integer, Long> offsets = new TreeMap<>();
    if (value.isBlank()) {
      return offsets;
    }
    for (String part : value.split(",")) {
      String[] pieces = part.trim().split(":");
      try {
        if (pieces.length != 2) {
          throw new NumberFormatException(part);
        }
        long offset = Long.parseLong(pieces[1].trim());
        if (offset < 0) {
          throw new NumberFormatException(part);
        }
        offsets.put(Integer.parseInt(pieces[0].trim()), offset);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            option + " must be 'partition:offset,...' with offsets >= 0, got '" + value + "'");
      }
    }
    return offsets;
  }

  static Instant parseTime(String option, String value) {
    if (value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          option + " must be an ISO-8601 instant like 2026-11-26T10:00:00Z, got '" + value + "'");
    }
  }
}
