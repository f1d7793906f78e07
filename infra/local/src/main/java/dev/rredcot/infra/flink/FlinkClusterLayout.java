package dev.rredcot.infra.flink;

import java.nio.file.Path;

/**
 * Where the standalone Flink cluster keeps its files ({@code $RREDCOT_HOME/flink}): configuration,
 * one log and one pid file per process, checkpoints, savepoints and temporary files.
 */
public record FlinkClusterLayout(Path root) {
  /** The configuration directory ({@code config.yaml}) every process of the cluster reads. */
  public Path confDir() {
    return root.resolve("conf");
  }

  public Path logDir() {
    return root.resolve("log");
  }

  public Path checkpointsDir() {
    return root.resolve("checkpoints");
  }

  public Path savepointsDir() {
    return root.resolve("savepoints");
  }

  public Path tmpDir() {
    return root.resolve("tmp");
  }

  /** The REST address and process names of the running cluster; present while it runs. */
  public Path stateFile() {
    return root.resolve("cluster.properties");
  }

  /** The pid file of {@code process} ({@code jobmanager}, {@code taskmanager-1}, ...). */
  public Path pidFile(String process) {
    return root.resolve(process + ".pid");
  }

  /** The stdout and stderr of {@code process}. */
  public Path logFile(String process) {
    return logDir().resolve(process + ".log");
  }
}
