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
  private KafkaClients() {}

  /** A producer that waits for every replica and never duplicates a record on retry. */
  public static <K, V> KafkaProducer<K, V> reliableProducer(
      String bootstrapServers, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(props, keySerializer, valueSerializer);
  }

  /** Settings of a consumer that commits only when told to; callers add what else they need. */
  public static Properties manualCommitConsumerProps(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return props;
  }

  /** A consumer of raw keys and values with {@code props}. */
  public static KafkaConsumer<byte[], byte[]> bytesConsumer(Properties props) {
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
