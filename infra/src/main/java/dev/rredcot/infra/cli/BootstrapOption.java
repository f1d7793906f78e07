package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.KafkaAdminException;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The {@code --bootstrap} and {@code --kafka-config} options of every command that talks to Kafka;
 * without them, the local broker started by {@code rredcot up} (else {@code 127.0.0.1:9092}) and
 * its client config.
 */
public final class BootstrapOption {
  /** How long a command waits for a broker to answer before it stops and says what to do. */
  static final Duration REACHABLE_TIMEOUT = Duration.ofSeconds(5);

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description =
          "Kafka bootstrap servers (default: the local broker started by `rredcot up`,"
              + " else 127.0.0.1:9092).")
  String bootstrap;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties (security.protocol, sasl.*, ssl.*) for every Kafka client of"
              + " the command (default: $RREDCOT_KAFKA_CONFIG, else the local broker's"
              + " $RREDCOT_HOME/client.properties when it runs with --secure, else none).")
  Path kafkaConfig;

  /**
   * The explicit address, else the running local broker's, else Kafka's default port; also makes
   * {@link #clientConfig} the client config of every Kafka client this process makes ({@link
   * KafkaClients#useClientConfig}).
   */
  public String resolve(RredcotHome home) {
    KafkaClients.useClientConfig(clientConfig(home));
    if (bootstrap != null && !bootstrap.isBlank()) {
      return bootstrap;
    }
    return new LocalKafkaBroker(home)
        .running()
        .map(LocalKafkaBroker.RunningBroker::bootstrapServers)
        .orElse("127.0.0.1:" + LocalBrokerSettings.DEFAULT_PORT);
  }

  /** {@link #resolve}, then {@link #requireReachable}: for commands that cannot work without it. */
  public String resolveReachable(RredcotHome home) {
    String servers = resolve(home);
    requireReachable(servers);
    return servers;
  }

  /**
   * Fails within {@link #REACHABLE_TIMEOUT} with one line saying what to do when no broker answers
   * a describe-cluster request at {@code bootstrapServers} (with the process's client config), so
   * that a command does not start its work and then hang on clients that retry for minutes.
   *
   * @throws KafkaAdminException when no broker answers
   */
  public static void requireReachable(String bootstrapServers) {
    try (TopicAdmin admin = TopicAdmin.connect(bootstrapServers, REACHABLE_TIMEOUT)) {
      admin.clusterId();
    } catch (KafkaAdminException e) {
      throw new KafkaAdminException(
          "no Kafka broker answers at "
              + bootstrapServers
              + " within "
              + REACHABLE_TIMEOUT.toSeconds()
              + " s: start one with `rredcot up` (`rredcot status` shows it), or give the"
              + " address of yours with --bootstrap (and --kafka-config if it is secured)",
          e);
    }
  }

  /**
   * {@code --kafka-config}, else {@code $RREDCOT_KAFKA_CONFIG}, else the secured local broker's
   * client properties (when no other {@code --bootstrap} is given), else none.
   */
  public KafkaClientConfig clientConfig(RredcotHome home) {
    if (kafkaConfig != null) {
      return KafkaClientConfig.load(kafkaConfig);
    }
    KafkaClientConfig fromEnvironment = KafkaClientConfig.fromEnvironment();
    if (!fromEnvironment.isEmpty()) {
      return fromEnvironment;
    }
    LocalKafkaBroker local = new LocalKafkaBroker(home);
    boolean localBroker =
        bootstrap == null
            || bootstrap.isBlank()
            || local.running().map(b -> b.bootstrapServers().equals(bootstrap)).orElse(false);
    return localBroker
        ? local.runningClientConfig().orElse(KafkaClientConfig.none())
        : KafkaClientConfig.none();
  }
}
