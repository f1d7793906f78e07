package dev.rredcot.pipelines.kafka;

import dev.rredcot.pipelines.record.RawRecord;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Reads a topic as raw bytes with KafkaIO, keeping topic, partition and offset of each record so
 * that dead letters can point back at it. Bounded by {@code maxRecords} when it is positive ({@code
 * withMaxNumRecords}), unbounded otherwise. Offsets are committed to the consumer group when Beam
 * finalizes a checkpoint, so a restarted job resumes where it stopped; a new group starts at the
 * earliest offset.
 */
public final class ReadRawRecords extends PTransform<PBegin, PCollection<RawRecord>> {
  private static final long serialVersionUID = 1L;

  private final String bootstrapServers;
  private final String topic;
  private final String consumerGroupId;
  private final long maxRecords;
  private final Map<String, String> clientConfig;

  private ReadRawRecords(
      String bootstrapServers,
      String topic,
      String consumerGroupId,
      long maxRecords,
      Map<String, String> clientConfig) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.consumerGroupId = consumerGroupId;
    this.maxRecords = maxRecords;
    this.clientConfig = new java.util.TreeMap<>(clientConfig);
  }

  /** Reads {@code topic}; {@code maxRecords <= 0} means unbounded. */
  public static ReadRawRecords of(
      String bootstrapServers, String topic, String consumerGroupId, long maxRecords) {
    return new ReadRawRecords(bootstrapServers, topic, consumerGroupId, maxRecords, Map.of());
  }

  /** The same read with client properties (security settings) added to the consumer's. */
  public ReadRawRecords withClientConfig(Map<String, String> value) {
    return new ReadRawRecords(bootstrapServers, topic, consumerGroupId, maxRecords, value);
  }

  @Override
  public PCollection<RawRecord> expand(PBegin begin) {
    Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.readBytes().withBootstrapServers(bootstrapServers).withTopic(topic);
    if (!consumerGroupId.isEmpty()) {
      consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, consumerGroupId);
      read = read.commitOffsetsInFinalize();
    }
    read = read.withConsumerConfigUpdates(consumerConfig);
    if (maxRecords > 0) {
      read = read.withMaxNumRecords(maxRecords);
    }
    return begin
        .apply("ReadKafka", read)
        .apply(
            "ToRawRecord",
            MapElements.into(TypeDescriptor.of(RawRecord.class)).via(RawRecord::ofKafka));
  }
}
