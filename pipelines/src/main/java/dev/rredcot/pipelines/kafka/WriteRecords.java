package dev.rredcot.pipelines.kafka;

import dev.rredcot.schemas.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes Avro records to a topic as single-object-encoded bytes ({@link RecordCodec}), keyed by a
 * string taken from each record. Delivery is at least once (acks=all, idempotent producer, no Kafka
 * transactions): on a restart some records may be written twice, and consumers deduplicate by the
 * record's stable id. FACTS.md measured the exactly-once sink at 70–80 s per 1000 records on Flink,
 * against about 7 s for the whole bounded job without it.
 */
public final class WriteRecords<T extends SpecificRecord>
    extends PTransform<PCollection<T>, PDone> {
  private static final long serialVersionUID = 1L;

  private final String bootstrapServers;
  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> keyOf;

  private WriteRecords(
      String bootstrapServers, String topic, Class<T> type, SerializableFunction<T, String> keyOf) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.type = type;
    this.keyOf = keyOf;
  }

  /** Writes {@code type} records to {@code topic}, keyed by {@code keyOf}. */
  public static <T extends SpecificRecord> WriteRecords<T> of(
      String bootstrapServers, String topic, Class<T> type, SerializableFunction<T, String> keyOf) {
    return new WriteRecords<>(bootstrapServers, topic, type, keyOf);
  }

  @Override
  public PDone expand(PCollection<T> records) {
    RecordCodec<T> codec = RecordCodec.of(type);
    SerializableFunction<T, String> key = keyOf;
    return records
        .apply(
            "EncodeAvro",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptor.of(byte[].class), TypeDescriptor.of(byte[].class)))
                .via(
                    (T record) ->
                        KV.of(
                            key.apply(record).getBytes(StandardCharsets.UTF_8),
                            codec.encode(record))))
        .setCoder(KvCoder.of(ByteArrayCoder.of(), ByteArrayCoder.of()))
        .apply(
            "WriteKafka",
            KafkaIO.<byte[], byte[]>write()
                .withBootstrapServers(bootstrapServers)
                .withTopic(topic)
                .withKeySerializer(ByteArraySerializer.class)
                .withValueSerializer(ByteArraySerializer.class)
                .withProducerConfigUpdates(
                    Map.of(
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true)));
  }
}
