package dev.rredcot.infra.chaos;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** A kind of process a {@link ChaosRun} SIGKILLs and restarts. */
public enum ProcessKind {
  /** The credit job's own JVM, with its embedded Flink mini-cluster. */
  PIPELINE,
  /**
   * The TaskManager of the run's standalone Flink session cluster (runs the credit job's tasks).
   */
  TASKMANAGER,
  TRAINER,
  WORKER,
  BROKER,
  FEEDER;

  /** The name in flags, tables and {@code summary.json}: lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The kind named {@code label} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the kinds there are
   */
  public static ProcessKind parse(String label) {
    for (ProcessKind kind : values()) {
      if (kind.label().equalsIgnoreCase(label.trim())) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        "no process kind "
            + label
            + " (one of "
            + Arrays.stream(values()).map(ProcessKind::label).collect(Collectors.joining(", "))
            + ")");
  }
}
