package dev.rredcot.infra.kafka;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

/**
 * The server properties of a single-node KRaft broker (broker and controller in one process) bound
 * to loopback; both the child-process and the in-process broker use it.
 */
public final class SingleNodeKraftConfig {
  /** How long a dead broker's registration blocks its restart (Kafka's default: 9 s). */
  static final int BROKER_SESSION_TIMEOUT_MS = 4000;

  private static final String HOST = "127.0.0.1";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  /** Partitions of {@code __consumer_offsets}; few, since one node carries all groups. */
  public static final int OFFSETS_TOPIC_PARTITIONS = 4;

  private final int brokerPort;
  private final int controllerPort;
  private final Path dataDir;
  private final int defaultPartitions;
  private final LocalBrokerSecurity security;

  private SingleNodeKraftConfig(Builder builder) {
    this.security = builder.security;
    this.brokerPort = builder.brokerPort;
    this.controllerPort = builder.controllerPort;
    this.dataDir = builder.dataDir;
    this.defaultPartitions = builder.defaultPartitions;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int brokerPort() {
    return brokerPort;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The security of the listeners, or null when they are plaintext. */
  public LocalBrokerSecurity security() {
    return security;
  }

  /** The address clients connect to. */
  public String bootstrapServers() {
    return HOST + ":" + brokerPort;
  }

  /** The properties for {@code kafka.Kafka} or {@code KafkaConfig.fromProps}. */
  public Properties toProperties() {
    Properties props = new Properties();
    props.setProperty("process.roles", "broker,controller");
    props.setProperty("node.id", "1");
    props.setProperty("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    // Plaintext, or secured: the client listener SASL_SSL (SCRAM) and the controller listener
    // SASL_SSL too (PLAIN, the broker's own user), so that nothing on this machine can talk to the
    // controller without the broker's password.
    String client = security == null ? "PLAINTEXT" : "SASL_SSL";
    String controllerProtocol = security == null ? "PLAINTEXT" : "SASL_SSL";
    props.setProperty(
        "listeners",
        client
            + "://"
            + HOST
            + ":"
            + brokerPort
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + HOST
            + ":"
            + controllerPort);
    props.setProperty("advertised.listeners", client + "://" + HOST + ":" + brokerPort);
    props.setProperty("controller.listener.names", CONTROLLER_LISTENER);
    props.setProperty("inter.broker.listener.name", client);
    props.setProperty(
        "listener.security.protocol.map",
        CONTROLLER_LISTENER + ":" + controllerProtocol + "," + client + ":" + client);
    if (security != null) {
      security.brokerProperties(client, CONTROLLER_LISTENER).forEach(props::setProperty);
    }
    props.setProperty("log.dirs", dataDir.toAbsolutePath().toString());
    // One node: internal topics cannot have more replicas than that.
    props.setProperty("offsets.topic.replication.factor", "1");
    props.setProperty("offsets.topic.num.partitions", Integer.toString(OFFSETS_TOPIC_PARTITIONS));
    props.setProperty("transaction.state.log.replication.factor", "1");
    props.setProperty("transaction.state.log.min.isr", "1");
    props.setProperty("transaction.state.log.num.partitions", "4");
    props.setProperty("num.partitions", Integer.toString(defaultPartitions));
    // Consumer groups of tests and demos should not wait 3 s for more members.
    props.setProperty("group.initial.rebalance.delay.ms", "0");
    // A broker restarted after a kill -9 cannot register while its controller (the same process,
    // replaying its log) still holds the dead incarnation's registration: it retries until that
    // session expires (DUPLICATE_BROKER_REGISTRATION), 9 s by Kafka's default. The only broker of a
    // local stack has no peer to fail over to, so a short session costs nothing; heartbeats stay
    // well inside it.
    props.setProperty("broker.session.timeout.ms", Integer.toString(BROKER_SESSION_TIMEOUT_MS));
    props.setProperty("broker.heartbeat.interval.ms", "1000");
    // Topics are created explicitly so that a typo in a topic name fails instead of creating one.
    props.setProperty("auto.create.topics.enable", "false");
    props.setProperty("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
    return props;
  }

  /** Builder; the ports and the data directory are required. */
  public static final class Builder {
    private int brokerPort = -1;
    private int controllerPort = -1;
    private Path dataDir;
    private int defaultPartitions = 1;
    private LocalBrokerSecurity security;

    private Builder() {}

    /**
     * Secures both listeners with SASL_SSL (clients: SCRAM-SHA-512, one user per role, ACLs;
     * controller: the broker's own user); null: plaintext.
     */
    public Builder optSecurity(LocalBrokerSecurity security) {
      this.security = security;
      return this;
    }

    public Builder setBrokerPort(int port) {
      this.brokerPort = port;
      return this;
    }

    public Builder setControllerPort(int port) {
      this.controllerPort = port;
      return this;
    }

    public Builder setDataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder optDefaultPartitions(int partitions) {
      this.defaultPartitions = partitions;
      return this;
    }

    public SingleNodeKraftConfig build() {
      checkPort("broker port", brokerPort);
      checkPort("controller port", controllerPort);
      if (brokerPort == controllerPort) {
        throw new IllegalArgumentException(
            "broker and controller ports must differ, both are " + brokerPort);
      }
      Objects.requireNonNull(dataDir, "dataDir is required");
      if (defaultPartitions < 1) {
        throw new IllegalArgumentException(
            "default partitions must be at least 1, got " + defaultPartitions);
      }
      return new SingleNodeKraftConfig(this);
    }

    private static void checkPort(String what, int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " must be in 1..65535, got " + port);
      }
    }
  }
}
