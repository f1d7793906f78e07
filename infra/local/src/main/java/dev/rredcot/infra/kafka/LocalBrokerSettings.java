package dev.rredcot.infra.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How {@code rredcot up} starts the local broker: its ports, the partitions and retention of the
 * project's topics, and how long to wait for it.
 */
public final class LocalBrokerSettings {
  /** Kafka's usual port. */
  public static final int DEFAULT_PORT = 9092;

  private final int port;
  private final int controllerPort;
  private final int partitions;
  private final long retentionMs;
  private final Duration startTimeout;
  private final Duration stopTimeout;
  private final String maxHeap;
  private final boolean secure;

  private LocalBrokerSettings(Builder builder) {
    this.secure = builder.secure;
    this.port = builder.port;
    this.controllerPort = builder.controllerPort > 0 ? builder.controllerPort : builder.port + 1;
    this.partitions = builder.partitions;
    this.retentionMs = builder.retentionMs;
    this.startTimeout = builder.startTimeout;
    this.stopTimeout = builder.stopTimeout;
    this.maxHeap = builder.maxHeap;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public int partitions() {
    return partitions;
  }

  /** Retention of the project's topics in milliseconds; 0 means the broker default (7 days). */
  public long retentionMs() {
    return retentionMs;
  }

  public Duration startTimeout() {
    return startTimeout;
  }

  /** How long {@code down} waits after SIGTERM before it sends SIGKILL. */
  public Duration stopTimeout() {
    return stopTimeout;
  }

  /** The broker JVM's {@code -Xmx} value, e.g. {@code 768m}. */
  public String maxHeap() {
    return maxHeap;
  }

  /** Whether the client listener is SASL_SSL (SCRAM-SHA-512 over TLS) instead of plaintext. */
  public boolean secure() {
    return secure;
  }

  /** Topic configs applied to the project's topics. */
  public Map<String, String> topicConfigs() {
    return retentionMs > 0 ? Map.of("retention.ms", Long.toString(retentionMs)) : Map.of();
  }

  /** Builder; every setting has a default. */
  public static final class Builder {
    private int port = DEFAULT_PORT;
    private int controllerPort = -1;
    private int partitions = 2;
    private long retentionMs = 0;
    private Duration startTimeout = Duration.ofSeconds(90);
    private Duration stopTimeout = Duration.ofSeconds(30);
    private String maxHeap = "768m";
    private boolean secure;

    private Builder() {}

    /** SASL_SSL on the client listener (default: plaintext). */
    public Builder optSecure(boolean secure) {
      this.secure = secure;
      return this;
    }

    public Builder optPort(int port) {
      this.port = port;
      return this;
    }

    /** Defaults to the broker port plus one. */
    public Builder optControllerPort(int controllerPort) {
      this.controllerPort = controllerPort;
      return this;
    }

    public Builder optPartitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    public Builder optRetentionMs(long retentionMs) {
      this.retentionMs = retentionMs;
      return this;
    }

    public Builder optStartTimeout(Duration startTimeout) {
      this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
      return this;
    }

    public Builder optStopTimeout(Duration stopTimeout) {
      this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
      return this;
    }

    public Builder optMaxHeap(String maxHeap) {
      this.maxHeap = Objects.requireNonNull(maxHeap, "maxHeap");
      return this;
    }

    public LocalBrokerSettings build() {
      if (port < 1 || port > 65534) {
        throw new IllegalArgumentException("--port must be in 1..65534, got " + port);
      }
      if (controllerPort == port) {
        throw new IllegalArgumentException("controller port must differ from --port " + port);
      }
      if (controllerPort > 65535) {
        throw new IllegalArgumentException("controller port must be <= 65535");
      }
      if (partitions < 1) {
        throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
      }
      if (retentionMs < 0) {
        throw new IllegalArgumentException(
            "--retention-ms must be positive (or 0 for the broker default), got " + retentionMs);
      }
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("start timeout must be positive");
      }
      if (stopTimeout.isNegative()) {
        throw new IllegalArgumentException("stop timeout must not be negative");
      }
      return new LocalBrokerSettings(this);
    }
  }
}
