package dev.rredcot.model.service;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;

/** The Kafka clients the services share: producers that lose nothing, consumers of raw bytes. */
public final class KafkaClients {
  // Kafka's own default is 1 s; a long outage then floods the log with connection attempts.
  private static final int RECONNECT_BACKOFF_MAX_MS = 10_000;

  private KafkaClients() {}

  /** A producer that waits for every replica and never duplicates a record on retry. */
  public static <K, V> KafkaProducer<K, V> reliableProducer(
      String bootstrapServers, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // While the broker is away, reconnect every few seconds rather than every second.
    props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    return new KafkaProducer<>(props, keySerializer, valueSerializer);
  }

  /** Settings of a consumer that commits only when told to; callers add what else they need. */
  public static Properties manualCommitConsumerProps(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    return props;
  }

  /** A consumer of raw keys and values with {@code props}. */
  public static KafkaConsumer<byte[], byte[]> bytesConsumer(Properties props) {
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
