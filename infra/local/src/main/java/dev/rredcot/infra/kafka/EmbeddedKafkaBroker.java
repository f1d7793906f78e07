package dev.rredcot.infra.kafka;

import dev.rredcot.model.service.KafkaClientConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker running inside this JVM on free loopback ports, for tests
 * and in-process use. {@link #close()} stops it and deletes its data directory.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir)) {
 *   kafka.createTopics(Topics.ALL, 2);
 *   String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final int START_ATTEMPTS = 3;
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaRaftServer server;
  private final SingleNodeKraftConfig config;
  private final Path dataDir;
  private boolean closed;

  private EmbeddedKafkaBroker(KafkaRaftServer server, SingleNodeKraftConfig config, Path dataDir) {
    this.server = server;
    this.config = config;
    this.dataDir = dataDir;
  }

  /**
   * Formats {@code dataDir} and starts a broker in it; retries on fresh ports when another process
   * takes a chosen port between choosing and binding it.
   */
  public static EmbeddedKafkaBroker start(Path dataDir) {
    RuntimeException lastFailure = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      Path attemptDir = dataDir.resolve("attempt-" + attempt);
      int[] ports = freeLoopbackPorts(2);
      SingleNodeKraftConfig config =
          SingleNodeKraftConfig.builder()
              .setBrokerPort(ports[0])
              .setControllerPort(ports[1])
              .setDataDir(attemptDir.resolve("log"))
              .build();
      KafkaRaftServer server = null;
      try {
        Path propertiesFile = attemptDir.resolve("server.properties");
        Files.createDirectories(attemptDir);
        Properties props = config.toProperties();
        try (OutputStream out = Files.newOutputStream(propertiesFile)) {
          props.store(out, "EmbeddedKafkaBroker");
        }
        KraftStorage.formatIfNeeded(config.dataDir(), propertiesFile);
        server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, config, attemptDir);
        try (TopicAdmin admin =
            TopicAdmin.connect(
                config.bootstrapServers(), KafkaClientConfig.none(), ADMIN_TIMEOUT)) {
          admin.clusterId();
        }
        LOG.info("Embedded Kafka broker serving at {}", config.bootstrapServers());
        return broker;
      } catch (IOException e) {
        lastFailure = new UncheckedIOException("cannot prepare " + attemptDir, e);
      } catch (RuntimeException e) {
        lastFailure = e;
      }
      LOG.warn(
          "Embedded Kafka broker start attempt {} of {} failed: {}",
          attempt,
          START_ATTEMPTS,
          lastFailure.toString());
      if (server != null) {
        stopQuietly(server);
      }
      deleteRecursively(attemptDir);
    }
    throw new IllegalStateException(
        "embedded Kafka broker did not start after "
            + START_ATTEMPTS
            + " attempts: "
            + lastFailure.getMessage(),
        lastFailure);
  }

  /** The {@code host:port} clients connect to. */
  public String bootstrapServers() {
    return config.bootstrapServers();
  }

  /** Creates the topics (if missing) with {@code partitions} partitions each. */
  public void createTopics(Collection<String> names, int partitions) {
    try (TopicAdmin admin =
        TopicAdmin.connect(bootstrapServers(), KafkaClientConfig.none(), ADMIN_TIMEOUT)) {
      admin.createTopics(names, partitions, Map.of());
    }
  }

  /** Describes the given topics (partition counts and end offsets). */
  public List<TopicAdmin.TopicSummary> describeTopics(Collection<String> names) {
    try (TopicAdmin admin =
        TopicAdmin.connect(bootstrapServers(), KafkaClientConfig.none(), ADMIN_TIMEOUT)) {
      return admin.describe(names);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopQuietly(server);
    deleteRecursively(dataDir);
  }

  private static void stopQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Embedded Kafka broker did not shut down cleanly: {}", e.toString());
    }
  }

  /** Distinct free ports; the sockets are held open together so that no port repeats. */
  static int[] freeLoopbackPorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    } finally {
      for (ServerSocket socket : sockets) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException e) {
            LOG.debug("cannot close probe socket: {}", e.toString());
          }
        }
      }
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", dir, e.toString());
    }
  }
}
