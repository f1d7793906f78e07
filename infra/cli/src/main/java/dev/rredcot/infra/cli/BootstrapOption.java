package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.kafka.KafkaAdminException;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --bootstrap} and {@code --kafka-config} options of every command that talks to Kafka;
 * without them, the local broker started by {@code rredcot up} (else {@code 127.0.0.1:9092}) and
 * the client config of the command's {@link ClientRole} on it. A service's command declares its
 * role ({@code @Mixin BootstrapOption bootstrapOption =
 * BootstrapOption.forRole(ClientRole.WORKER)}); the others are {@link ClientRole#ADMIN}.
 */
public final class BootstrapOption {
  /** How long a command tries to open a connection to each bootstrap address. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

  /**
   * How long a command waits for a broker that accepts connections to answer: generous, since a
   * fresh JVM on a machine busy with the rest of the loop can take seconds for its first request.
   */
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);

  private static final Duration RETRY_EVERY = Duration.ofSeconds(1);
  private static final Logger LOG = LoggerFactory.getLogger(BootstrapOption.class);

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
              + " the command (default: $RREDCOT_KAFKA_CONFIG, else, when the local broker runs"
              + " with --secure, its $RREDCOT_HOME/client-<role>.properties for the command's role:"
              + " feeder, worker, credit (pipeline), trainer, admin (every other command)).")
  Path kafkaConfig;

  double waitForBrokerS;

  /** The command this mixin belongs to, for usage errors. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--wait-for-broker",
      paramLabel = "SECONDS",
      defaultValue = "0",
      description =
          "Seconds to wait for the broker to answer before giving up (default ${DEFAULT-VALUE}:"
              + " fail at once). For services under a supervisor that may start them before Kafka"
              + " is back: waiting costs less than a restart with back-off.")
  void waitForBroker(double seconds) {
    if (!(seconds >= 0) || Double.isInfinite(seconds)) {
      throw new ParameterException(
          mixee.commandLine(), "--wait-for-broker must be >= 0 seconds, got " + seconds);
    }
    waitForBrokerS = seconds;
  }

  private final ClientRole role;

  /** The options of a command that runs as {@link ClientRole#ADMIN}. */
  BootstrapOption() {
    this(ClientRole.ADMIN);
  }

  private BootstrapOption(ClientRole role) {
    this.role = role;
  }

  /** The options of a command whose Kafka clients act as {@code role}. */
  static BootstrapOption forRole(ClientRole role) {
    return new BootstrapOption(role);
  }

  /** The role whose client config the local secured broker gives this command. */
  public ClientRole role() {
    return role;
  }

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
    awaitReachable(servers, Duration.ofMillis(Math.round(waitForBrokerS * 1000)));
    return servers;
  }

  /**
   * {@link #requireReachable}, tried again every second until {@code patience} has passed; the last
   * failure, which names the wait, when it never answers.
   */
  static void awaitReachable(String bootstrapServers, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    boolean announced = false;
    while (true) {
      try {
        requireReachable(bootstrapServers);
        if (announced) {
          LOG.info("the Kafka broker at {} answers", bootstrapServers);
        }
        return;
      } catch (KafkaAdminException e) {
        if (System.nanoTime() >= deadline) {
          if (patience.isZero()) {
            throw e;
          }
          throw new KafkaAdminException(
              e.getMessage() + " (waited " + patience.toSeconds() + " s)", e.getCause());
        }
        if (!announced) {
          LOG.warn(
              "waiting up to {} s for a Kafka broker at {}: {}",
              patience.toSeconds(),
              bootstrapServers,
              e.getMessage());
          announced = true;
        }
      }
      try {
        Thread.sleep(RETRY_EVERY.toMillis());
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        throw new KafkaAdminException("interrupted while waiting for the broker", interrupted);
      }
    }
  }

  /**
   * Fails with one line saying what to do when no broker is there, so that a command does not start
   * its work and then hang on clients that retry for minutes: at once when nothing listens at any
   * of {@code bootstrapServers} (within {@link #CONNECT_TIMEOUT} per address), else after {@link
   * #ANSWER_TIMEOUT} when what listens does not answer a describe-cluster request (with the
   * process's client config).
   *
   * @throws KafkaAdminException when no broker answers
   */
  public static void requireReachable(String bootstrapServers) {
    String whatToDo =
        ": start one with `rredcot up` (`rredcot status` shows it), or give the address of yours"
            + " with --bootstrap (and --kafka-config if it is secured)";
    IOException refused = null;
    boolean listening = false;
    for (String address : bootstrapServers.split(",")) {
      String host = Utils.getHost(address.strip());
      Integer port = Utils.getPort(address.strip());
      if (host == null || port == null) {
        throw new KafkaAdminException("not a HOST:PORT address: '" + address + "'", null);
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
        listening = true;
        break;
      } catch (IOException e) {
        refused = e;
      }
    }
    if (!listening) {
      throw new KafkaAdminException(
          "no Kafka broker listens at " + bootstrapServers + whatToDo, refused);
    }
    try (TopicAdmin admin = TopicAdmin.connect(bootstrapServers, ANSWER_TIMEOUT)) {
      admin.clusterId();
    } catch (KafkaAdminException e) {
      throw new KafkaAdminException(
          "no Kafka broker answers at "
              + bootstrapServers
              + " within "
              + ANSWER_TIMEOUT.toSeconds()
              + " s (something accepts connections there)"
              + whatToDo,
          e);
    }
  }

  /**
   * {@code --kafka-config}, else {@code $RREDCOT_KAFKA_CONFIG}, else the secured local broker's
   * client properties of the command's role (when no other {@code --bootstrap} is given), else
   * none.
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
        ? local.runningClientConfig(role).orElse(KafkaClientConfig.none())
        : KafkaClientConfig.none();
  }
}
