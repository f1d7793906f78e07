package dev.rredcot.model.service;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The Kafka clients the services share: producers that lose nothing, consumers of raw bytes. Every
 * client gets the process's {@link KafkaClientConfig} ({@link #clientConfig()}): the file named by
 * {@code $RREDCOT_KAFKA_CONFIG} unless the CLI sets another with {@link #useClientConfig}.
 */
public final class KafkaClients {
  // Kafka's own default is 1 s; a long outage then floods the log with connection attempts.
  private static final int RECONNECT_BACKOFF_MAX_MS = 10_000;

  private static volatile KafkaClientConfig clientConfig;

  private KafkaClients() {}

  /** The client properties every Kafka client of this process adds to its own. */
  public static KafkaClientConfig clientConfig() {
    KafkaClientConfig config = clientConfig;
    if (config == null) {
      config = KafkaClientConfig.fromEnvironment();
      clientConfig = config;
    }
    return config;
  }

  /** Sets the client properties of every Kafka client this process makes from now on. */
  public static void useClientConfig(KafkaClientConfig config) {
    clientConfig = java.util.Objects.requireNonNull(config, "config");
  }

  /** {@code props} plus the process's client config (which wins). */
  public static Properties secured(Properties props) {
    return clientConfig().applyTo(props);
  }

  /** A producer that waits for every replica and never duplicates a record on retry. */
  public static <K, V> KafkaProducer<K, V> reliableProducer(
      String bootstrapServers, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // While the broker is away, reconnect every few seconds rather than every second.
    props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    return new KafkaProducer<>(secured(props), keySerializer, valueSerializer);
  }

  /** Settings of a consumer that commits only when told to; callers add what else they need. */
  public static Properties manualCommitConsumerProps(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    return secured(props);
  }

  /** A consumer of raw keys and values with {@code props}. */
  public static KafkaConsumer<byte[], byte[]> bytesConsumer(Properties props) {
    return new KafkaConsumer<>(
        secured(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
