package dev.rredcot.pipelines.record;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One record exactly as read from the input topic: key and value bytes plus where they came from,
 * so that a record that fails any later check can be written as a replayable dead letter.
 */
@DefaultCoder(RawRecordCoder.class)
public final class RawRecord implements Serializable {
  private static final long serialVersionUID = 1L;

  private final byte @Nullable [] key;
  private final byte @Nullable [] value;
  private final @Nullable String topic;
  private final int partition;
  private final long offset;

  private RawRecord(
      byte @Nullable [] key,
      byte @Nullable [] value,
      @Nullable String topic,
      int partition,
      long offset) {
    this.key = key;
    this.value = value;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }

  /** A record read from {@code topic} at {@code partition}/{@code offset}. */
  public static RawRecord of(
      byte @Nullable [] key, byte @Nullable [] value, String topic, int partition, long offset) {
    return new RawRecord(key, value, Objects.requireNonNull(topic, "topic"), partition, offset);
  }

  /** The raw record of a record read with KafkaIO, with its topic, partition and offset. */
  public static RawRecord ofKafka(KafkaRecord<byte[], byte[]> record) {
    return of(
        record.getKV().getKey(),
        record.getKV().getValue(),
        record.getTopic(),
        record.getPartition(),
        record.getOffset());
  }

  /** A record with no Kafka origin (tests, replays); partition and offset are reported as -1. */
  public static RawRecord ofValue(byte @Nullable [] value) {
    return new RawRecord(null, value, null, -1, -1L);
  }

  /** Rebuilds a record field by field (for the coder). */
  static RawRecord restore(
      byte @Nullable [] key,
      byte @Nullable [] value,
      @Nullable String topic,
      int partition,
      long offset) {
    return new RawRecord(key, value, topic, partition, offset);
  }

  public byte @Nullable [] key() {
    return key;
  }

  public byte @Nullable [] value() {
    return value;
  }

  public @Nullable String topic() {
    return topic;
  }

  /** Source partition, or -1 when the record has no Kafka origin. */
  public int partition() {
    return partition;
  }

  /** Source offset, or -1 when the record has no Kafka origin. */
  public long offset() {
    return offset;
  }

  public boolean hasKafkaOrigin() {
    return topic != null;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    if (!(other instanceof RawRecord)) {
      return false;
    }
    RawRecord that = (RawRecord) other;
    return partition == that.partition
        && offset == that.offset
        && Arrays.equals(key, that.key)
        && Arrays.equals(value, that.value)
        && Objects.equals(topic, that.topic);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(key), Arrays.hashCode(value), topic, partition, offset);
  }

  @Override
  public String toString() {
    return "RawRecord{"
        + topic
        + "/"
        + partition
        + "@"
        + offset
        + ", "
        + (value == null ? 0 : value.length)
        + " bytes}";
  }
}
