package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.pretrain.ShippedPolicies;
import dev.rredcot.model.task.TaskFamilyRegistry;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where the policy comes from and how the model-backed stages call it: checkpoint store, versions
 * held, checkpoint announcements, or a fixed model ({@code --model}: a directory or a completions
 * server, with the endpoint settings), the task families records may name, answer cue, KV reuse,
 * Monte Carlo and bank settings and batch limits. Built and validated by {@link Builder#build()}.
 */
public final class ModelSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** {@link #pinnedVersion} when no version is pinned. */
  public static final long NOT_PINNED = -1;

  private final String checkpointDir;
  private final String trustedKeys;
  private final int versionsHeld;
  private final long pinnedVersion;
  private final String checkpointsBootstrapServers;
  private final String checkpointsTopic;
  private final TreeMap<String, String> checkpointsClientConfig;
  private final String answerCue;
  private final boolean reuseKvCache;
  private final int mcSamples;
  private final int mcMaxTokens;
  private final double mcTemperature;
  private final BankAggregation bankAggregation;
  private final boolean bankSpliceCheck;
  private final boolean bankLeaveOwnOut;
  private final int bankOracleSolutions;
  private final boolean bankGreedyFill;
  private final int maxBatchTraces;
  private final int maxBatchTokens;
  private final String model;
  private final String modelTokenizer;
  private final EndpointSettings endpoint;
  private final String taskFamilies;

  private ModelSettings(Builder builder) {
    this.checkpointDir = builder.checkpointDir;
    this.trustedKeys = builder.trustedKeys;
    this.versionsHeld = builder.versionsHeld;
    this.pinnedVersion = builder.pinnedVersion;
    this.checkpointsBootstrapServers = builder.checkpointsBootstrapServers;
    this.checkpointsTopic = builder.checkpointsTopic;
    this.checkpointsClientConfig = new TreeMap<>(builder.checkpointsClientConfig);
    this.answerCue = builder.answerCue;
    this.reuseKvCache = builder.reuseKvCache;
    this.mcSamples = builder.mcSamples;
    this.mcMaxTokens = builder.mcMaxTokens;
    this.mcTemperature = builder.mcTemperature;
    this.bankAggregation = builder.bankAggregation;
    this.bankSpliceCheck = builder.bankSpliceCheck;
    this.bankLeaveOwnOut = builder.bankLeaveOwnOut;
    this.bankOracleSolutions = builder.bankOracleSolutions;
    this.bankGreedyFill = builder.bankGreedyFill;
    this.maxBatchTraces = builder.maxBatchTraces;
    this.maxBatchTokens = builder.maxBatchTokens;
    this.model = builder.model;
    this.modelTokenizer = builder.modelTokenizer;
    this.endpoint = builder.endpoint;
    this.taskFamilies = builder.taskFamilies;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Checkpoint store root ({@code <root>/v000000000042/}). */
  public String checkpointDir() {
    return checkpointDir;
  }

  /**
   * File of the public keys whose signatures the store's checkpoints must carry ({@link
   * dev.rredcot.model.checkpoint.TrustedKeys}); empty: signatures are not checked.
   */
  public String trustedKeys() {
    return trustedKeys;
  }

  /** The rule every checkpoint of {@link #checkpointDir()} is loaded under. */
  public CheckpointTrust checkpointTrust() {
    return trustedKeys.isEmpty()
        ? CheckpointTrust.digestsOnly()
        : ShippedPolicies.trustSignedBy(Path.of(trustedKeys));
  }

  /** How many policy versions a worker keeps loaded (the newest ones). */
  public int versionsHeld() {
    return versionsHeld;
  }

  /**
   * The one policy version every rollout is scored with ({@code --policy-version}), or {@link
   * #NOT_PINNED}: then the rollout's generating version while held, else the newest.
   */
  public long pinnedVersion() {
    return pinnedVersion;
  }

  /** Whether {@link #pinnedVersion} names a version. */
  public boolean pinned() {
    return pinnedVersion != NOT_PINNED;
  }

  /** Kafka client properties (security) of the announcement watcher; secrets included. */
  public Map<String, String> checkpointsClientConfig() {
    return Map.copyOf(checkpointsClientConfig);
  }

  /** Kafka servers to watch for {@code PolicyCheckpoint} announcements; empty: do not watch. */
  public String checkpointsBootstrapServers() {
    return checkpointsBootstrapServers;
  }

  public String checkpointsTopic() {
    return checkpointsTopic;
  }

  /** Answer cue teacher-forced before the answer; empty: the task family's own cue. */
  public String answerCue() {
    return answerCue;
  }

  public boolean reuseKvCache() {
    return reuseKvCache;
  }

  /** Monte Carlo continuations M per boundary. */
  public int mcSamples() {
    return mcSamples;
  }

  /** Most tokens of each Monte Carlo continuation. */
  public int mcMaxTokens() {
    return mcMaxTokens;
  }

  public double mcTemperature() {
    return mcTemperature;
  }

  /** How continuation-bank values combine their remainders (default: sum). */
  public BankAggregation bankAggregation() {
    return bankAggregation;
  }

  /**
   * Whether a bank remainder counts only when the task verifies the spliced trace (prefix +
   * remainder) as correct, so a remainder that is not a valid continuation of this prefix (a
   * countdown line using a number that is gone) contributes 0 (default: on).
   */
  public boolean bankSpliceCheck() {
    return bankSpliceCheck;
  }

  /**
   * Whether a correct trace's own text is left out of its own bank (unless the reference or another
   * member wrote the same text), so its values do not read its own outcome (default: off).
   */
  public boolean bankLeaveOwnOut() {
    return bankLeaveOwnOut;
  }

  /**
   * A diagnostic of bank coverage, not a method: this many of the exact oracle's ways to finish
   * from each line-aligned prefix are added to its remainders (families with an oracle only); 0
   * (default) adds none.
   */
  public int bankOracleSolutions() {
    return bankOracleSolutions;
  }

  /**
   * Whether a line-aligned prefix that no bank remainder validly continues gets the policy's greedy
   * continuation from it as its one remainder, when the task verifies prefix + continuation as
   * correct, so a valid move that no bank text makes is not read as lost (default: on). Needs a
   * backend that generates; the continuation is at most {@link #mcMaxTokens()} tokens.
   */
  public boolean bankGreedyFill() {
    return bankGreedyFill;
  }

  /** Most traces per scorer call. */
  public int maxBatchTraces() {
    return maxBatchTraces;
  }

  /** Most trace tokens per scorer call (a single longer trace still goes alone). */
  public int maxBatchTokens() {
    return maxBatchTokens;
  }

  /**
   * A fixed model instead of the checkpoint store: a model directory ({@link
   * dev.rredcot.model.loading.BackendKinds}) or a completions server URL; empty: the store's
   * versions, following announcements.
   */
  public String model() {
    return model;
  }

  /**
   * Directory with the tokenizer of a {@link #model()} URL; empty: the tokenizer of the newest
   * checkpoint in {@link #checkpointDir()}.
   */
  public String modelTokenizer() {
    return modelTokenizer;
  }

  /** How a {@link #model()} URL is called. */
  public EndpointSettings endpoint() {
    return endpoint;
  }

  /** The task families records may name ({@link TaskFamilyRegistry#parse}); empty: built-ins. */
  public String taskFamilies() {
    return taskFamilies;
  }

  /** Builder; defaults: 2 versions held, KV reuse on, M = 8, bank remainders summed. */
  public static final class Builder {
    private String checkpointDir;
    private String trustedKeys = "";
    private int versionsHeld = 2;
    private long pinnedVersion = NOT_PINNED;
    private String checkpointsBootstrapServers = "";
    private String checkpointsTopic = dev.rredcot.schemas.Topics.CHECKPOINTS;
    private Map<String, String> checkpointsClientConfig = Map.of();
    private String answerCue = "";
    private boolean reuseKvCache = true;
    private int mcSamples = 8;
    private int mcMaxTokens = 64;
    private double mcTemperature = 1.0;
    private BankAggregation bankAggregation = BankAggregation.SUM;
    private boolean bankSpliceCheck = true;
    private boolean bankLeaveOwnOut;
    private int bankOracleSolutions;
    private boolean bankGreedyFill = true;
    private int maxBatchTraces = 64;
    private int maxBatchTokens = 16_384;
    private String model = "";
    private String modelTokenizer = "";
    private EndpointSettings endpoint = EndpointSettings.defaults();
    private String taskFamilies = "";

    public Builder setCheckpointDir(String value) {
      this.checkpointDir = value;
      return this;
    }

    /** Require checkpoint signatures by the keys in this file (empty, the default: do not). */
    public Builder optTrustedKeys(String value) {
      this.trustedKeys = Objects.requireNonNull(value);
      return this;
    }

    public Builder optVersionsHeld(int value) {
      this.versionsHeld = value;
      return this;
    }

    /** Score with exactly this version ({@link #NOT_PINNED}: the default choice). */
    public Builder optPinnedVersion(long value) {
      this.pinnedVersion = value;
      return this;
    }

    /** Watch {@code topic} on {@code bootstrapServers} for new checkpoints (empty: do not). */
    public Builder optCheckpointAnnouncements(String bootstrapServers, String topic) {
      this.checkpointsBootstrapServers = Objects.requireNonNull(bootstrapServers);
      this.checkpointsTopic = Objects.requireNonNull(topic);
      return this;
    }

    /** Kafka client properties (security) of the announcement watcher. */
    public Builder optCheckpointsClientConfig(Map<String, String> value) {
      this.checkpointsClientConfig = Map.copyOf(value);
      return this;
    }

    public Builder optAnswerCue(String value) {
      this.answerCue = Objects.requireNonNull(value);
      return this;
    }

    public Builder optReuseKvCache(boolean value) {
      this.reuseKvCache = value;
      return this;
    }

    public Builder optMcSamples(int value) {
      this.mcSamples = value;
      return this;
    }

    public Builder optMcMaxTokens(int value) {
      this.mcMaxTokens = value;
      return this;
    }

    public Builder optMcTemperature(double value) {
      this.mcTemperature = value;
      return this;
    }

    public Builder optBankAggregation(BankAggregation value) {
      this.bankAggregation = Objects.requireNonNull(value);
      return this;
    }

    /** See {@link ModelSettings#bankSpliceCheck()}. */
    public Builder optBankSpliceCheck(boolean value) {
      this.bankSpliceCheck = value;
      return this;
    }

    /** See {@link ModelSettings#bankLeaveOwnOut()}. */
    public Builder optBankLeaveOwnOut(boolean value) {
      this.bankLeaveOwnOut = value;
      return this;
    }

    /** See {@link ModelSettings#bankOracleSolutions()}. */
    public Builder optBankOracleSolutions(int value) {
      this.bankOracleSolutions = value;
      return this;
    }

    /** See {@link ModelSettings#bankGreedyFill()}. */
    public Builder optBankGreedyFill(boolean value) {
      this.bankGreedyFill = value;
      return this;
    }

    public Builder optMaxBatchTraces(int value) {
      this.maxBatchTraces = value;
      return this;
    }

    public Builder optMaxBatchTokens(int value) {
      this.maxBatchTokens = value;
      return this;
    }

    /** A fixed model: a model directory or a completions server URL (empty: the store). */
    public Builder optModel(String value) {
      this.model = Objects.requireNonNull(value);
      return this;
    }

    /** Tokenizer directory of a model URL (empty: the store's newest checkpoint). */
    public Builder optModelTokenizer(String value) {
      this.modelTokenizer = Objects.requireNonNull(value);
      return this;
    }

    public Builder optEndpoint(EndpointSettings value) {
      this.endpoint = Objects.requireNonNull(value);
      return this;
    }

    /** Task families records may name, as {@link TaskFamilyRegistry#parse} reads them. */
    public Builder optTaskFamilies(String value) {
      this.taskFamilies = Objects.requireNonNull(value);
      return this;
    }

    /** Validates; messages name the option to change. */
    public ModelSettings build() {
      if (model.isEmpty() && (checkpointDir == null || checkpointDir.isBlank())) {
        throw new IllegalArgumentException("--store or --model is required for a model estimator");
      }
      requirePositive("--versions-held", versionsHeld);
      if (pinnedVersion < NOT_PINNED) {
        throw new IllegalArgumentException(
            "--policy-version must be a version (>= 0) or -1 (not pinned), got " + pinnedVersion);
      }
      requirePositive("--mc-samples", mcSamples);
      requirePositive("--mc-max-tokens", mcMaxTokens);
      requirePositive("--max-batch-traces", maxBatchTraces);
      if (bankOracleSolutions < 0) {
        throw new IllegalArgumentException(
            "--bank-oracle-solutions must be >= 0, got " + bankOracleSolutions);
      }
      requirePositive("--max-batch-tokens", maxBatchTokens);
      if (!(mcTemperature > 0)) {
        throw new IllegalArgumentException("--mc-temperature must be > 0, got " + mcTemperature);
      }
      TaskFamilyRegistry.parse(taskFamilies);
      return new ModelSettings(this);
    }

    private static void requirePositive(String option, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(option + " must be > 0, got " + value);
      }
    }
  }
}
