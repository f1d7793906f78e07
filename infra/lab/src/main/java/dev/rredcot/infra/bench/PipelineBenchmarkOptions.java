package dev.rredcot.infra.bench;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.pipelines.BeamFlags;
import dev.rredcot.pipelines.CreditPipelineOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Settings of the {@link PipelineBenchmark}; build with {@link #builder()}. */
public final class PipelineBenchmarkOptions {
  private final Path outputDir;
  private final int rollouts;
  private final int warmUpRollouts;
  private final int tokenGroups;
  private final int parallelism;
  private final int maxTokens;
  private final String checkpointDir;
  private final List<String> pipelineArgs;
  private final int rounds;
  private final long seed;
  private final BuiltInTask task;

  private PipelineBenchmarkOptions(Builder builder) {
    this.outputDir = builder.outputDir;
    this.rollouts = builder.rollouts;
    this.warmUpRollouts = builder.warmUpRollouts;
    this.tokenGroups = builder.tokenGroups;
    this.parallelism = builder.parallelism;
    this.maxTokens = builder.maxTokens;
    this.checkpointDir = builder.checkpointDir;
    this.pipelineArgs = List.copyOf(builder.pipelineArgs);
    this.rounds = builder.rounds;
    this.seed = builder.seed;
    this.task = builder.task;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The defaults writing into {@code outputDir}. */
  public static PipelineBenchmarkOptions defaults(Path outputDir) {
    return builder().setOutputDir(outputDir).build();
  }

  public Path outputDir() {
    return outputDir;
  }

  /** Rounds of {@link #rollouts()} each, pipeline then bare loop. */
  public int rounds() {
    return rounds;
  }

  /** Rollouts timed per round through the pipeline and the bare loop. */
  public int rollouts() {
    return rollouts;
  }

  /** Rollouts sent before timing starts (JIT, model load, Kafka fetch sessions). */
  public int warmUpRollouts() {
    return warmUpRollouts;
  }

  /** Groups of 4 per problem length (4 and 6 steps) for the model-token comparison. */
  public int tokenGroups() {
    return tokenGroups;
  }

  /** Flink parallelism of the job. */
  public int parallelism() {
    return parallelism;
  }

  /** Longest generated trace in tokens. */
  public int maxTokens() {
    return maxTokens;
  }

  /** Checkpoint store of the policy (newest version); empty means the shipped initial policy. */
  public String checkpointDir() {
    return checkpointDir;
  }

  public long seed() {
    return seed;
  }

  /** The task family of the problems and of the shipped policy an empty store gets. */
  public BuiltInTask task() {
    return task;
  }

  /** Extra Beam options for the credit job (e.g. {@code --objectReuse=true}). */
  public List<String> pipelineArgs() {
    return pipelineArgs;
  }

  /** Builder; {@code outputDir} is required. */
  public static final class Builder {
    private Path outputDir;
    private int rollouts = 512;
    private int warmUpRollouts = 3072;
    private int tokenGroups = 4;
    private int parallelism = 1;
    private int maxTokens = 96;
    private String checkpointDir = "";
    private List<String> pipelineArgs = List.of();
    private int rounds = 6;
    private long seed = 1;
    private BuiltInTask task = BuiltInTask.ARITH;

    private Builder() {}

    public Builder setOutputDir(Path value) {
      this.outputDir = value;
      return this;
    }

    /** Interleaved pipeline/bare rounds (default 6). */
    public Builder optRounds(int value) {
      this.rounds = value;
      return this;
    }

    /** Timed rollouts per round (default 512), rounded down to whole groups of 4. */
    public Builder optRollouts(int value) {
      this.rollouts = value;
      return this;
    }

    /**
     * Warm-up rollouts, copies of the timed ones as new groups (default 3072: the pipeline's code
     * path is long and was still speeding up after 1024).
     */
    public Builder optWarmUpRollouts(int value) {
      this.warmUpRollouts = value;
      return this;
    }

    /** Groups per problem length for the token comparison (default 4). */
    public Builder optTokenGroups(int value) {
      this.tokenGroups = value;
      return this;
    }

    /** Flink parallelism (default 1). */
    public Builder optParallelism(int value) {
      this.parallelism = value;
      return this;
    }

    /** Longest generated trace in tokens (default 96). */
    public Builder optMaxTokens(int value) {
      this.maxTokens = value;
      return this;
    }

    /**
     * Checkpoint store of the policy, newest version used (default: the shipped initial policy in
     * {@code DIR/policy}).
     */
    public Builder optCheckpointDir(String value) {
      this.checkpointDir = value;
      return this;
    }

    /**
     * Extra options of the credit job, as flags (--group-timeout-ms=...); they override the
     * benchmark's own.
     */
    public Builder optPipelineArgs(List<String> value) {
      this.pipelineArgs = value;
      return this;
    }

    public Builder optSeed(long value) {
      this.seed = value;
      return this;
    }

    /**
     * {@link BuiltInTask#ARITH} (default: 4- and 6-step problems) or {@link BuiltInTask#COUNTDOWN}
     * (2- and 3-move problems).
     */
    public Builder optTask(BuiltInTask value) {
      this.task = Objects.requireNonNull(value, "task");
      return this;
    }

    /** Validates and builds. */
    public PipelineBenchmarkOptions build() {
      if (outputDir == null) {
        throw new IllegalStateException("setOutputDir(...) is required");
      }
      if (rollouts < PipelineBenchmark.GROUP_SIZE
          || warmUpRollouts < PipelineBenchmark.GROUP_SIZE
          || tokenGroups < 1) {
        throw new IllegalArgumentException(
            "rollouts and warmUpRollouts must be >= "
                + PipelineBenchmark.GROUP_SIZE
                + " and tokenGroups >= 1, got "
                + rollouts
                + ", "
                + warmUpRollouts
                + ", "
                + tokenGroups);
      }
      if (parallelism < 1 || maxTokens < 8 || rounds < 1) {
        throw new IllegalArgumentException(
            "parallelism and rounds must be >= 1 and maxTokens >= 8, got "
                + parallelism
                + ", "
                + rounds
                + " and "
                + maxTokens);
      }
      return new PipelineBenchmarkOptions(this);
    }
  }

  /**
   * The credit job's options: the rredcot preset on the Flink runner [local], detached, reading the
   * policy from {@code store}; {@code bootstrapServers} may be empty when only the credit settings
   * are wanted.
   */
  CreditPipelineOptions creditJobOptions(Path store, String bootstrapServers) {
    List<String> args = new ArrayList<>(BeamFlags.toBeamArgs(pipelineArgs));
    Map<String, Object> own = new LinkedHashMap<>();
    own.put("runner", "FlinkRunner");
    own.put("flinkMaster", "[local]");
    own.put("parallelism", parallelism);
    own.put("attachedMode", false);
    own.put("consumerGroupId", "");
    own.put("credit", "rredcot");
    own.put("checkpointDir", store);
    own.put("watchCheckpoints", false);
    own.put("groupTimeoutMs", 60000);
    if (!bootstrapServers.isEmpty()) {
      own.put("bootstrapServers", bootstrapServers);
    }
    // The user's options (flags, translated to Beam's names) override the benchmark's own.
    own.forEach(
        (property, value) -> {
          String prefix = "--" + property;
          if (args.stream().noneMatch(arg -> arg.equals(prefix) || arg.startsWith(prefix + "="))) {
            args.add(prefix + "=" + value);
          }
        });
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .as(CreditPipelineOptions.class);
  }
}
