package dev.rredcot.schemas;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one record type, in Avro single-object encoding (see {@link RecordCodec}).
 * Deserializing bad bytes throws {@link RecordDecodingException}, which carries them.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final RecordCodec<T> codec;

  private AvroSerde(Class<T> type) {
    this.codec = RecordCodec.of(type);
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(type);
  }

  public RecordCodec<T> codec() {
    return codec;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> record == null ? null : codec.encode(record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> bytes == null ? null : codec.decode(bytes);
  }
}
