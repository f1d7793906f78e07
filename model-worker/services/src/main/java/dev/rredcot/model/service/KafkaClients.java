package dev.rredcot.model.service;

import java.time.Duration;
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

  /**
   * Bound of a consumer's blocking calls (commit, end offsets, positions); Kafka's is 60 s. The
   * services retry what times out while they run ({@link BrokerRetry}), and a stop does not wait a
   * minute for a commit to a broker that is gone.
   */
  private static final int DEFAULT_API_TIMEOUT_MS = 15_000;

  /**
   * How long closing a client waits for what it has in flight: a producer closed without a bound
   * waits for every unacknowledged send, however long the broker is gone.
   */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

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
    // delivery.timeout.ms stays at Kafka's 2 minutes: a shorter one turns a broker restart into
    // batches sampled again, perhaps under a newer policy version (other rollout ids). A stop does
    // not wait for it: acknowledgements are awaited while the service runs
    // (ServiceThread#awaitWhileRunning) and clients close within CLOSE_TIMEOUT.
    return new KafkaProducer<>(secured(props), keySerializer, valueSerializer);
  }

  /** Settings of a consumer that commits only when told to; callers add what else they need. */
  public static Properties manualCommitConsumerProps(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, DEFAULT_API_TIMEOUT_MS);
    return secured(props);
  }

  /**
   * A consumer of raw keys and values with {@code props}, which must set {@code auto.offset.reset}:
   * Kafka's default ({@code latest}) jumps silently past every record a reader has not read when
   * its offset is out of range, so each consumer states what it wants.
   *
   * @throws IllegalArgumentException when {@code props} leaves {@code auto.offset.reset} unset
   */
  public static KafkaConsumer<byte[], byte[]> bytesConsumer(Properties props) {
    if (props.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG) == null) {
      throw new IllegalArgumentException(
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG + " must be set explicitly on every consumer");
    }
    return new KafkaConsumer<>(
        secured(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
