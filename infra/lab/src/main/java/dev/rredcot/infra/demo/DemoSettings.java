package dev.rredcot.infra.demo;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.trainer.TrainerService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of one {@link DemoRun}: the budget, the credit method, the task family and the loop's
 * sizes.
 *
 * @param budget wall-time budget of the training phase
 * @param maxSteps stop after this many trainer steps (0: only the time budget)
 * @param credit {@code rredcot} or {@code grpo}
 * @param runDir directory of the run's files (metrics, summary, report, checkpoints, broker)
 * @param bootstrapServers an existing broker to use, or null to start one for the run
 * @param groupSize G, traces per prompt
 * @param promptsPerBatch prompts per rollout-worker generation batch
 * @param batchGroups B, complete groups per trainer step
 * @param inFlightStaleness S of the in-flight budget: rollouts in flight stay within (S + 1)·B
 *     groups
 * @param inFlightWriteOffAfter how long rollouts may stay in flight with nothing moving before the
 *     trainer writes them off as lost (zero: never)
 * @param learningRate the trainer's Adam learning rate
 * @param klCoefficient weight of the trainer's k3 KL penalty to the run's initial policy (0: off)
 * @param promptsPerSecond the task feeder's rate
 * @param evalPrompts held-out prompts
 * @param evalSamples samples per held-out prompt (accuracy = mean correctness)
 * @param evalEveryVersions evaluate every n-th policy version during the run
 * @param task the task family, {@code arith} or {@code countdown} ({@link BuiltInTask})
 * @param secure start the run's broker with SASL_SSL and give every client its client config
 */
public record DemoSettings(
    Duration budget,
    long maxSteps,
    String credit,
    Path runDir,
    String bootstrapServers,
    int groupSize,
    int promptsPerBatch,
    int batchGroups,
    int inFlightStaleness,
    Duration inFlightWriteOffAfter,
    double learningRate,
    double klCoefficient,
    double promptsPerSecond,
    int evalPrompts,
    int evalSamples,
    int evalEveryVersions,
    String task,
    boolean secure) {

  /** Credit methods the demo offers. */
  public static final Set<String> CREDITS = Set.of("rredcot", "grpo");

  /** Validates. */
  public DemoSettings {
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(runDir, "runDir");
    Objects.requireNonNull(inFlightWriteOffAfter, "inFlightWriteOffAfter");
    if (inFlightWriteOffAfter.isNegative()) {
      throw new IllegalArgumentException(
          "the write-off period must not be negative, got " + inFlightWriteOffAfter);
    }
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("the time budget must be positive, got " + budget);
    }
    if (maxSteps < 0) {
      throw new IllegalArgumentException("--steps must not be negative, got " + maxSteps);
    }
    if (secure && bootstrapServers != null) {
      throw new IllegalArgumentException(
          "--secure secures the broker the run starts; for an existing broker give its client"
              + " config (--kafka-config or $RREDCOT_KAFKA_CONFIG) instead of --secure");
    }
    if (!CREDITS.contains(credit)) {
      throw new IllegalArgumentException(
          "unknown credit method '" + credit + "': use one of " + CREDITS);
    }
    if (groupSize < 2 || promptsPerBatch < 1 || batchGroups < 1) {
      throw new IllegalArgumentException(
          "group size must be at least 2 and batch sizes at least 1");
    }
    if (inFlightStaleness < 0) {
      throw new IllegalArgumentException(
          "the in-flight staleness must not be negative, got " + inFlightStaleness);
    }
    if (!(learningRate > 0) || !(promptsPerSecond > 0)) {
      throw new IllegalArgumentException("learning rate and prompt rate must be positive");
    }
    if (!(klCoefficient >= 0)) {
      throw new IllegalArgumentException("the KL coefficient must be >= 0, got " + klCoefficient);
    }
    if (evalPrompts < 1 || evalSamples < 1 || evalEveryVersions < 1) {
      throw new IllegalArgumentException("evaluation sizes must be at least 1");
    }
    BuiltInTask.fromName(task); // names the known tasks when it throws
  }

  /** The task family with its shipped policy and held-out problems. */
  public BuiltInTask evaluationTask() {
    return BuiltInTask.fromName(task);
  }

  /** Starts a builder with the defaults: six minutes of RREDCoT on arith on a fresh broker. */
  public static Builder builder(Path runDir) {
    return new Builder(runDir);
  }

  /** Builder for {@link DemoSettings}; only the run directory is required. */
  public static final class Builder {
    private final Path runDir;
    private Duration budget = Duration.ofMinutes(6);
    private long maxSteps;
    private String credit = "rredcot";
    private String bootstrapServers;
    private int groupSize = 8;
    private int promptsPerBatch = 8;
    private int batchGroups = 8;
    private int inFlightStaleness = 1;
    private Duration inFlightWriteOffAfter = TrainerService.DEFAULT_WRITE_OFF_AFTER;
    // Chosen by measurement (docs/RESULTS.md section 3): at 1e-4 and 5e-5 greedy accuracy fell.
    private double learningRate = 2.5e-5;
    private double klCoefficient;
    private double promptsPerSecond = 20;
    private int evalPrompts = 64;
    private int evalSamples = 4;
    private int evalEveryVersions = 5;
    private String task = BuiltInTask.ARITH.familyName();
    private boolean secure;

    private Builder(Path runDir) {
      this.runDir = runDir;
    }

    /** Wall-time budget and step budget (0: time only). */
    public Builder optBudget(Duration budget, long maxSteps) {
      this.budget = budget;
      this.maxSteps = maxSteps;
      return this;
    }

    /** {@code rredcot} (default) or {@code grpo}. */
    public Builder optCredit(String credit) {
      this.credit = credit;
      return this;
    }

    /** An existing broker; by default the run starts its own. */
    public Builder optBootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** G, prompts per generation batch and B groups per trainer step. */
    public Builder optSizes(int groupSize, int promptsPerBatch, int batchGroups) {
      this.groupSize = groupSize;
      this.promptsPerBatch = promptsPerBatch;
      this.batchGroups = batchGroups;
      return this;
    }

    /** S of the in-flight budget, (S + 1)·B groups in flight at most (default 1). */
    public Builder optInFlightStaleness(int inFlightStaleness) {
      this.inFlightStaleness = inFlightStaleness;
      return this;
    }

    /**
     * How long nothing may move before the trainer writes what is in flight off (default {@link
     * TrainerService#DEFAULT_WRITE_OFF_AFTER}).
     */
    public Builder optInFlightWriteOffAfter(Duration inFlightWriteOffAfter) {
      this.inFlightWriteOffAfter = inFlightWriteOffAfter;
      return this;
    }

    /** The trainer's learning rate. */
    public Builder optLearningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** The trainer's KL penalty to the run's initial policy (default 0: off). */
    public Builder optKlCoefficient(double klCoefficient) {
      this.klCoefficient = klCoefficient;
      return this;
    }

    /** The task feeder's rate. */
    public Builder optPromptsPerSecond(double promptsPerSecond) {
      this.promptsPerSecond = promptsPerSecond;
      return this;
    }

    /** Held-out prompts, samples per prompt, and evaluation cadence in versions. */
    public Builder optEvaluation(int prompts, int samples, int everyVersions) {
      this.evalPrompts = prompts;
      this.evalSamples = samples;
      this.evalEveryVersions = everyVersions;
      return this;
    }

    /** The task family: {@code arith} (default) or {@code countdown}. */
    public Builder optTask(String task) {
      this.task = task;
      return this;
    }

    /** Start the run's broker with SASL_SSL (default: plaintext on loopback). */
    public Builder optSecure(boolean secure) {
      this.secure = secure;
      return this;
    }

    /** Validates and builds. */
    public DemoSettings build() {
      return new DemoSettings(
          budget,
          maxSteps,
          credit,
          runDir,
          bootstrapServers,
          groupSize,
          promptsPerBatch,
          batchGroups,
          inFlightStaleness,
          inFlightWriteOffAfter,
          learningRate,
          klCoefficient,
          promptsPerSecond,
          evalPrompts,
          evalSamples,
          evalEveryVersions,
          task,
          secure);
    }
  }
}
