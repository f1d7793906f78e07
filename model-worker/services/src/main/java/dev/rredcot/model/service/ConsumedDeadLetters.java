package dev.rredcot.model.service;

import dev.rredcot.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Dead letters for records a service consumed and could not process: the original key and value
 * bytes with their topic, partition and offset, so the record can be replayed as it was.
 */
public final class ConsumedDeadLetters {
  private ConsumedDeadLetters() {}

  /** The dead letter of {@code record}, failed in {@code stage} for {@code reason}. */
  public static DeadLetter of(
      ConsumerRecord<byte[], byte[]> record, String stage, String reason, Exception error) {
    return DeadLetter.newBuilder()
        .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
        .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
        .setSourceTopic(record.topic())
        .setSourcePartition(record.partition())
        .setSourceOffset(record.offset())
        .setStage(stage)
        .setReason(reason)
        .setErrorClass(error.getClass().getName())
        .setErrorMessage(String.valueOf(error.getMessage()))
        .setFailedAtMs(Instant.now())
        .build();
  }
}
