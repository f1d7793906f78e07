package dev.rredcot.pipelines.deadletter;

import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Builds {@link DeadLetter} records and counts them. Every dead letter increments the counter
 * {@code dead-letters/<stage>/<reason>} in namespace {@link #METRICS_NAMESPACE}, so each failure
 * path is visible in the job's metrics.
 */
public final class DeadLetters {
  /** Namespace of every counter the credit job reports. */
  public static final String METRICS_NAMESPACE = "rredcot";

  private static final RecordCodec<Rollout> ROLLOUT_CODEC = RecordCodec.of(Rollout.class);

  private DeadLetters() {}

  /** The coder for dead letters in a pipeline. */
  public static Coder<DeadLetter> coder() {
    return AvroCoder.of(DeadLetter.class);
  }

  /** Name of the counter that counts dead letters of one stage and reason. */
  public static String counterName(String stage, String reason) {
    return "dead-letters/" + stage + "/" + reason;
  }

  /** The counter for one stage and reason. */
  public static Counter counter(String stage, String reason) {
    return Metrics.counter(METRICS_NAMESPACE, counterName(stage, reason));
  }

  /**
   * A dead letter for a record as read: it keeps the original key and value bytes and the Kafka
   * origin so that it can be replayed unchanged. Counts it.
   */
  public static DeadLetter ofRaw(
      RawRecord record, String stage, String reason, String errorClass, String errorMessage) {
    counter(stage, reason).inc();
    DeadLetter.Builder builder =
        DeadLetter.newBuilder()
            .setKey(wrap(record.key()))
            .setValue(wrap(record.value()))
            .setStage(stage)
            .setReason(reason)
            .setErrorClass(errorClass)
            .setErrorMessage(errorMessage)
            .setFailedAtMs(java.time.Instant.ofEpochMilli(System.currentTimeMillis()));
    if (record.hasKafkaOrigin()) {
      builder
          .setSourceTopic(record.topic())
          .setSourcePartition(record.partition())
          .setSourceOffset(record.offset());
    }
    return builder.build();
  }

  /** As {@link #ofRaw(RawRecord, String, String, String, String)} for a caught exception. */
  public static DeadLetter ofRaw(RawRecord record, String stage, String reason, Throwable error) {
    return ofRaw(
        record, stage, reason, error.getClass().getName(), String.valueOf(error.getMessage()));
  }

  /**
   * A dead letter for a rollout that was parsed but failed a later stage: the value is the rollout
   * re-encoded with the current schema (replayable onto the rollouts topic) and the key is its
   * group id, as on the input topic. Counts it.
   */
  public static DeadLetter ofRollout(
      Rollout rollout, String stage, String reason, String errorClass, String errorMessage) {
    counter(stage, reason).inc();
    return DeadLetter.newBuilder()
        .setKey(ByteBuffer.wrap(rollout.getGroupId().getBytes(StandardCharsets.UTF_8)))
        .setValue(ByteBuffer.wrap(ROLLOUT_CODEC.encode(rollout)))
        .setStage(stage)
        .setReason(reason)
        .setErrorClass(errorClass)
        .setErrorMessage(errorMessage)
        .setFailedAtMs(java.time.Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }

  /** As {@link #ofRollout(Rollout, String, String, String, String)} for a caught exception. */
  public static DeadLetter ofRollout(
      Rollout rollout, String stage, String reason, Throwable error) {
    return ofRollout(
        rollout, stage, reason, error.getClass().getName(), String.valueOf(error.getMessage()));
  }

  /** The bytes of a dead letter's value, or an empty array. */
  public static byte[] valueBytes(DeadLetter deadLetter) {
    return bytes(deadLetter.getValue());
  }

  /** The bytes of a dead letter's key, or an empty array. */
  public static byte[] keyBytes(DeadLetter deadLetter) {
    return bytes(deadLetter.getKey());
  }

  private static byte[] bytes(@Nullable ByteBuffer buffer) {
    if (buffer == null) {
      return new byte[0];
    }
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }

  private static @Nullable ByteBuffer wrap(byte @Nullable [] bytes) {
    return bytes == null ? null : ByteBuffer.wrap(bytes.clone());
  }
}
