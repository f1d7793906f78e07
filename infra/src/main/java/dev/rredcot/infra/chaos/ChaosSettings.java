package dev.rredcot.infra.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** Settings of a {@link ChaosRun}: how many rollouts, which kills, and the loop's small sizes. */
public final class ChaosSettings {
  private final int rollouts;
  private final long seed;
  private final Path runDir;
  private final int killsPerKind;
  private final String credit;
  private final int groupSize;
  private final int promptsPerBatch;
  private final int batchGroups;
  private final double promptsPerSecond;
  private final long flinkCheckpointIntervalMs;
  private final Duration timeout;

  private ChaosSettings(Builder builder) {
    this.rollouts = builder.rollouts;
    this.seed = builder.seed;
    this.runDir = builder.runDir;
    this.killsPerKind = builder.killsPerKind;
    this.credit = builder.credit;
    this.groupSize = builder.groupSize;
    this.promptsPerBatch = builder.promptsPerBatch;
    this.batchGroups = builder.batchGroups;
    this.promptsPerSecond = builder.promptsPerSecond;
    this.flinkCheckpointIntervalMs = builder.flinkCheckpointIntervalMs;
    this.timeout =
        builder.timeout != null
            ? builder.timeout
            : Duration.ofSeconds(Math.max(600, Math.round(rollouts * 0.5)));
  }

  /**
   * Starts a builder: 2 kills of each kind, rredcot credit, groups of 8, 8 prompts per batch and
   * per step, 1 prompt per second, Flink checkpoints every 5 s, a timeout of max(10 min, 0.5 s per
   * rollout).
   */
  public static Builder builder(int rollouts, long seed, Path runDir) {
    return new Builder(rollouts, seed, runDir);
  }

  /** Rollouts to produce (rounded up to whole groups). */
  public int rollouts() {
    return rollouts;
  }

  public long seed() {
    return seed;
  }

  public Path runDir() {
    return runDir;
  }

  /** SIGKILLs of each kind (credit job, trainer, rollout worker, broker). */
  public int killsPerKind() {
    return killsPerKind;
  }

  /** The credit job's {@code --credit} preset. */
  public String credit() {
    return credit;
  }

  public int groupSize() {
    return groupSize;
  }

  public int promptsPerBatch() {
    return promptsPerBatch;
  }

  public int batchGroups() {
    return batchGroups;
  }

  public double promptsPerSecond() {
    return promptsPerSecond;
  }

  public long flinkCheckpointIntervalMs() {
    return flinkCheckpointIntervalMs;
  }

  /** The run ends here even if some rollouts are not accounted for. */
  public Duration timeout() {
    return timeout;
  }

  /** Prompts the feeder sends: enough whole groups for {@link #rollouts()}. */
  public int prompts() {
    return (rollouts + groupSize - 1) / groupSize;
  }

  /** Builder for {@link ChaosSettings}. */
  public static final class Builder {
    private final int rollouts;
    private final long seed;
    private final Path runDir;
    private int killsPerKind = 2;
    private String credit = "rredcot";
    private int groupSize = 8;
    private int promptsPerBatch = 8;
    private int batchGroups = 8;
    private double promptsPerSecond = 1;
    private long flinkCheckpointIntervalMs = 5_000;
    private Duration timeout;

    private Builder(int rollouts, long seed, Path runDir) {
      this.rollouts = rollouts;
      this.seed = seed;
      this.runDir = Objects.requireNonNull(runDir, "runDir");
    }

    public Builder optKillsPerKind(int value) {
      this.killsPerKind = value;
      return this;
    }

    public Builder optCredit(String value) {
      this.credit = Objects.requireNonNull(value, "credit");
      return this;
    }

    /** Group size G, prompts per worker batch and groups per trainer step. */
    public Builder optSizes(int groupSize, int promptsPerBatch, int batchGroups) {
      this.groupSize = groupSize;
      this.promptsPerBatch = promptsPerBatch;
      this.batchGroups = batchGroups;
      return this;
    }

    public Builder optPromptsPerSecond(double value) {
      this.promptsPerSecond = value;
      return this;
    }

    public Builder optFlinkCheckpointIntervalMs(long value) {
      this.flinkCheckpointIntervalMs = value;
      return this;
    }

    public Builder optTimeout(Duration value) {
      this.timeout = value;
      return this;
    }

    /**
     * @throws IllegalArgumentException when a count or rate is not positive
     */
    public ChaosSettings build() {
      if (rollouts <= 0
          || killsPerKind < 0
          || groupSize < 2
          || promptsPerBatch <= 0
          || batchGroups <= 0
          || !(promptsPerSecond > 0)
          || flinkCheckpointIntervalMs <= 0) {
        throw new IllegalArgumentException(
            "rollouts, sizes, rate and checkpoint interval must be positive (group size >= 2),"
                + " kills per kind >= 0");
      }
      return new ChaosSettings(this);
    }
  }
}
