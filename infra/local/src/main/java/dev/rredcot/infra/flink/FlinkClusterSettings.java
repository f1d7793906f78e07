package dev.rredcot.infra.flink;

import java.time.Duration;

/**
 * How {@code rredcot flink up} starts the standalone session cluster: its REST port, how many
 * TaskManagers with how many slots, the Prometheus reporter's ports, the memory of each JVM and how
 * long to wait for it.
 */
public final class FlinkClusterSettings {
  /** Flink's usual REST and web UI port. */
  public static final int DEFAULT_REST_PORT = 8081;

  /**
   * No Prometheus reporter by default: Flink's binds every network interface (it has no bind
   * address setting), and the project's listeners stay on loopback unless the user says otherwise.
   */
  public static final String DEFAULT_PROMETHEUS_PORTS = "";

  private final int restPort;
  private final int taskManagers;
  private final int slots;
  private final String prometheusPorts;
  private final int taskHeapMb;
  private final int jobManagerHeapMb;
  private final Duration startTimeout;
  private final Duration stopTimeout;

  private FlinkClusterSettings(Builder builder) {
    this.restPort = builder.restPort;
    this.taskManagers = builder.taskManagers;
    this.slots = builder.slots;
    this.prometheusPorts = builder.prometheusPorts;
    this.taskHeapMb = builder.taskHeapMb;
    this.jobManagerHeapMb = builder.jobManagerHeapMb;
    this.startTimeout = builder.startTimeout;
    this.stopTimeout = builder.stopTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The REST endpoint's and web UI's port on 127.0.0.1. */
  public int restPort() {
    return restPort;
  }

  public int taskManagers() {
    return taskManagers;
  }

  /** Task slots per TaskManager. */
  public int slots() {
    return slots;
  }

  /** A port or a {@code from-to} range for the Prometheus reporter of every process. */
  public String prometheusPorts() {
    return prometheusPorts;
  }

  /** Heap of each TaskManager for the job's tasks (Beam, Kafka clients, the policy's tensors). */
  public int taskHeapMb() {
    return taskHeapMb;
  }

  public int jobManagerHeapMb() {
    return jobManagerHeapMb;
  }

  /** How long {@code up} waits for the REST endpoint to list every TaskManager. */
  public Duration startTimeout() {
    return startTimeout;
  }

  /** How long {@code down} waits after SIGTERM before it sends SIGKILL. */
  public Duration stopTimeout() {
    return stopTimeout;
  }

  /** Builder; every setting has a default. */
  public static final class Builder {
    private int restPort = DEFAULT_REST_PORT;
    private int taskManagers = 1;
    private int slots = 2;
    private String prometheusPorts = DEFAULT_PROMETHEUS_PORTS;
    // Two cores and a few GB free per engineer: a small cluster that still fits the policy.
    private int taskHeapMb = 1024;
    private int jobManagerHeapMb = 768;
    private Duration startTimeout = Duration.ofSeconds(180);
    private Duration stopTimeout = Duration.ofSeconds(30);

    private Builder() {}

    public Builder optRestPort(int restPort) {
      if (restPort <= 0 || restPort > 65535) {
        throw new IllegalArgumentException("REST port must be 1-65535, got " + restPort);
      }
      this.restPort = restPort;
      return this;
    }

    public Builder optTaskManagers(int taskManagers) {
      if (taskManagers < 1) {
        throw new IllegalArgumentException("need at least one TaskManager, got " + taskManagers);
      }
      this.taskManagers = taskManagers;
      return this;
    }

    public Builder optSlots(int slots) {
      if (slots < 1) {
        throw new IllegalArgumentException("need at least one slot per TaskManager, got " + slots);
      }
      this.slots = slots;
      return this;
    }

    /** A port or a {@code from-to} range (one port per process); empty turns the reporter off. */
    public Builder optPrometheusPorts(String prometheusPorts) {
      if (!prometheusPorts.isEmpty() && !prometheusPorts.matches("\\d+(-\\d+)?")) {
        throw new IllegalArgumentException(
            "Prometheus ports are a port or a range FROM-TO, got " + prometheusPorts);
      }
      this.prometheusPorts = prometheusPorts;
      return this;
    }

    public Builder optTaskHeapMb(int taskHeapMb) {
      this.taskHeapMb = taskHeapMb;
      return this;
    }

    public Builder optJobManagerHeapMb(int jobManagerHeapMb) {
      this.jobManagerHeapMb = jobManagerHeapMb;
      return this;
    }

    public Builder optStartTimeout(Duration startTimeout) {
      this.startTimeout = startTimeout;
      return this;
    }

    public Builder optStopTimeout(Duration stopTimeout) {
      this.stopTimeout = stopTimeout;
      return this;
    }

    public FlinkClusterSettings build() {
      return new FlinkClusterSettings(this);
    }
  }
}
