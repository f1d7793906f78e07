package dev.rredcot.infra.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of a {@link ChaosRun}: how many rollouts, which kills (kinds, overlapping pairs), where
 * the credit job runs, and the loop's small sizes.
 */
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
  private final Path flinkClusterJobJar;
  private final List<ProcessKind> kinds;
  private final int overlaps;
  private final List<List<ProcessKind>> overlapPairs;

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
    this.flinkClusterJobJar = builder.flinkClusterJobJar;
    this.kinds =
        List.copyOf(builder.kinds != null ? builder.kinds : defaultKinds(onFlinkCluster()));
    this.overlapPairs = List.copyOf(builder.overlapPairs);
    this.overlaps = builder.overlapPairs.isEmpty() ? builder.overlaps : builder.overlapPairs.size();
  }

  /**
   * The kinds killed when none are named: every process of the loop, the credit job's being its own
   * JVM on the embedded mini-cluster and the TaskManager on a standalone cluster.
   */
  public static List<ProcessKind> defaultKinds(boolean onFlinkCluster) {
    return List.of(
        onFlinkCluster ? ProcessKind.TASKMANAGER : ProcessKind.PIPELINE,
        ProcessKind.TRAINER,
        ProcessKind.WORKER,
        ProcessKind.BROKER,
        ProcessKind.FEEDER);
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

  /** Single SIGKILLs of each of {@link #kinds()}. */
  public int killsPerKind() {
    return killsPerKind;
  }

  /** The kinds of process killed one at a time, {@link #killsPerKind()} times each. */
  public List<ProcessKind> kinds() {
    return kinds;
  }

  /** Overlapping faults: episodes in which two processes are killed at once or within 3 s. */
  public int overlaps() {
    return overlaps;
  }

  /** The pairs of the overlapping faults, when named; empty: seeded pairs of {@link #kinds()}. */
  public List<List<ProcessKind>> overlapPairs() {
    return overlapPairs;
  }

  /** Whether the credit job runs on a standalone Flink session cluster of the run's own. */
  public boolean onFlinkCluster() {
    return flinkClusterJobJar != null;
  }

  /** The job jar submitted to the run's Flink cluster; null on the embedded mini-cluster. */
  public Path flinkClusterJobJar() {
    return flinkClusterJobJar;
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
    private Path flinkClusterJobJar;
    private List<ProcessKind> kinds;
    private int overlaps;
    private final List<List<ProcessKind>> overlapPairs = new ArrayList<>();

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
     * Runs the credit job on a standalone Flink session cluster of the run's own (started from
     * Flink's entry points as {@code rredcot flink up} does), submitting {@code jobJar}, so that
     * its TaskManager can be killed; default: the credit job's own JVM with an embedded
     * mini-cluster.
     */
    public Builder optFlinkCluster(Path jobJar) {
      this.flinkClusterJobJar = Objects.requireNonNull(jobJar, "jobJar");
      return this;
    }

    /** The kinds killed one at a time (default {@link ChaosSettings#defaultKinds}). */
    public Builder optKinds(List<ProcessKind> value) {
      this.kinds = List.copyOf(value);
      return this;
    }

    /** This many overlapping faults, each a seeded pair of {@link #optKinds kinds} (default 0). */
    public Builder optOverlaps(int value) {
      this.overlaps = value;
      return this;
    }

    /** Overlapping faults of these pairs, in a seeded order (instead of {@link #optOverlaps}). */
    public Builder optOverlapPairs(List<List<ProcessKind>> pairs) {
      overlapPairs.clear();
      pairs.forEach(pair -> overlapPairs.add(List.copyOf(pair)));
      return this;
    }

    /**
     * @throws IllegalArgumentException when a count or rate is not positive, or a kind or pair does
     *     not fit where the credit job runs
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
      if (overlaps < 0) {
        throw new IllegalArgumentException("overlaps must be >= 0, got " + overlaps);
      }
      boolean cluster = flinkClusterJobJar != null;
      List<ProcessKind> runKinds = kinds != null ? kinds : defaultKinds(cluster);
      List<ProcessKind> named = new ArrayList<>(runKinds);
      overlapPairs.forEach(named::addAll);
      for (ProcessKind kind : named) {
        if (kind == (cluster ? ProcessKind.PIPELINE : ProcessKind.TASKMANAGER)) {
          throw new IllegalArgumentException(
              cluster
                  ? "on a Flink cluster the credit job's process only submits the job: kill"
                      + " taskmanager instead of pipeline"
                  : "taskmanager needs the credit job on a Flink cluster (--flink cluster)");
        }
      }
      for (List<ProcessKind> pair : overlapPairs) {
        if (pair.size() != 2 || pair.get(0) == pair.get(1)) {
          throw new IllegalArgumentException("an overlap is two different kinds, got " + pair);
        }
      }
      Set<ProcessKind> distinct = runKinds.isEmpty() ? Set.of() : EnumSet.copyOf(runKinds);
      if (overlaps > 0 && overlapPairs.isEmpty() && distinct.size() < 2) {
        throw new IllegalArgumentException("seeded overlaps need at least two kinds to pair");
      }
      return new ChaosSettings(this);
    }
  }
}
