package dev.rredcot.pipelines.replay;

import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads exactly a {@link KafkaRange} of a topic (KafkaIO's per-partition source descriptors with
 * start and stop offsets) as raw records with their Kafka origin; the read ends when every
 * partition reached its stop offset.
 */
public final class ReadKafkaRange extends PTransform<PBegin, PCollection<RawRecord>> {
  private static final long serialVersionUID = 1L;

  private final String bootstrapServers;
  private final KafkaRange range;
  private final Map<String, String> clientConfig;

  private ReadKafkaRange(
      String bootstrapServers, KafkaRange range, Map<String, String> clientConfig) {
    this.bootstrapServers = bootstrapServers;
    this.range = range;
    this.clientConfig = new java.util.TreeMap<>(clientConfig);
  }

  /** Reads {@code range}; {@code clientConfig} (security properties) goes to the consumers. */
  public static ReadKafkaRange of(
      String bootstrapServers, KafkaRange range, Map<String, String> clientConfig) {
    return new ReadKafkaRange(bootstrapServers, range, clientConfig);
  }

  @Override
  public PCollection<RawRecord> expand(PBegin begin) {
    List<KafkaSourceDescriptor> descriptors = new ArrayList<>();
    for (Map.Entry<Integer, long[]> entry : range.offsets().entrySet()) {
      long[] offsets = entry.getValue();
      if (offsets[1] > offsets[0]) {
        descriptors.add(
            KafkaSourceDescriptor.of(
                new TopicPartition(range.topic(), entry.getKey()),
                offsets[0],
                null,
                offsets[1],
                null,
                null));
      }
    }
    if (descriptors.isEmpty()) {
      return begin.apply("EmptyRange", Create.empty(RawRecordCoder.of()));
    }
    return begin
        .apply("RangeDescriptors", Create.of(descriptors))
        .apply(
            "ReadKafkaRange",
            KafkaIO.<byte[], byte[]>readSourceDescriptors()
                .withBootstrapServers(bootstrapServers)
                .withConsumerConfigUpdates(rangeConsumerConfig(clientConfig))
                .withKeyDeserializer(ByteArrayDeserializer.class)
                .withValueDeserializer(ByteArrayDeserializer.class))
        .apply(
            "ToRawRecord",
            MapElements.into(TypeDescriptor.of(RawRecord.class)).via(RawRecord::ofKafka))
        .setCoder(RawRecordCoder.of());
  }

  /**
   * The client config plus {@code auto.offset.reset=none}: a range whose records were deleted
   * (retention) fails the replay with Kafka's OffsetOutOfRangeException instead of silently reading
   * other records.
   */
  static java.util.Map<String, Object> rangeConsumerConfig(
      java.util.Map<String, String> clientConfig) {
    java.util.Map<String, Object> config = new java.util.HashMap<>(clientConfig);
    config.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    return config;
  }
}
