package dev.rredcot.infra.home;

import dev.rredcot.model.files.HomeDirectory;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The directory that holds the local stack's state ({@code $RREDCOT_HOME}, default {@code
 * ~/.rredcot}): broker data, logs and pid file, checkpoints and runs.
 */
public final class RredcotHome {
  /** Environment variable that moves the state directory. */
  public static final String ENVIRONMENT_VARIABLE = HomeDirectory.ENVIRONMENT_VARIABLE;

  private final Path root;

  private RredcotHome(Path root) {
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  /** A home rooted at the given directory (tests use a temporary one). */
  public static RredcotHome at(Path root) {
    return new RredcotHome(root);
  }

  /** The home named by {@code $RREDCOT_HOME}, else {@code ~/.rredcot}. */
  public static RredcotHome fromEnvironment() {
    return new RredcotHome(HomeDirectory.resolve());
  }

  public Path root() {
    return root;
  }

  /** Everything the local Kafka broker owns. */
  public Path kafkaDir() {
    return root.resolve("kafka");
  }

  /** The broker's log segments and KRaft metadata. */
  public Path kafkaDataDir() {
    return kafkaDir().resolve("data");
  }

  /** The broker's server.properties, rewritten on every start. */
  public Path kafkaPropertiesFile() {
    return kafkaDir().resolve("server.properties");
  }

  /** The broker process's stdout and stderr. */
  public Path kafkaLogFile() {
    return kafkaDir().resolve("broker.log");
  }

  /** Pid and bootstrap address of the running broker; present only while it runs. */
  public Path kafkaPidFile() {
    return kafkaDir().resolve("broker.pid");
  }

  /**
   * The Kafka client properties of one role ({@code worker}, {@code admin}, ...) on the local
   * broker started with {@code rredcot up --secure}: {@code client-<role>.properties} (owner-only;
   * holds that role's credentials).
   */
  public Path clientPropertiesFile(String role) {
    return root.resolve("client-" + role + ".properties");
  }

  /** Policy checkpoints written by the trainer. */
  public Path checkpointsDir() {
    return HomeDirectory.checkpoints(root);
  }

  /** Retained Flink checkpoints of the unbounded credit job ({@code rredcot pipeline}). */
  public Path flinkCheckpointsDir() {
    return root.resolve("flink-checkpoints");
  }

  /** The Flink configuration of the embedded mini-cluster (loopback listeners). */
  public Path flinkConfDir() {
    return root.resolve("flink-conf");
  }

  /** Log files of the long-running commands (trainer, worker, feeder, pipeline). */
  public Path logsDir() {
    return root.resolve("logs");
  }

  /**
   * The standalone Flink cluster of {@code rredcot flink up}: configuration, logs, pid files,
   * checkpoints and savepoints.
   */
  public Path flinkClusterDir() {
    return root.resolve("flink");
  }

  /** Per-run outputs (metrics, reports). */
  public Path runsDir() {
    return root.resolve("runs");
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
