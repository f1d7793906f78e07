package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownSolver;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.NoisySolver;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TraceWriter;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;

/**
 * Settings of the supervised warm-up that produces the initial policy.
 *
 * @param task problems trained on (arithmetic by default)
 * @param evalTask problems the accuracy is measured on (4-step arithmetic by default)
 * @param traceWriter writes the imperfect training traces (a {@link NoisySolver} by default)
 * @param tokenizer the policy's tokenizer; must cover every prompt and trace character
 * @param answerEarlyRate share of training traces replaced by an early answer: the first j lines of
 *     the correct solution (j uniform over 0..steps−1) followed by the answer line, so the policy
 *     learns to answer when stopped after any line, as reasoning models can be asked to (what the
 *     answer-probability value reads); 0 (default) is the shipped policy's warm-up
 * @param modelConfig model sizes, or null for {@link ModelConfig#builder()} defaults
 * @param steps optimiser steps
 * @param batchSize traces per step
 * @param learningRate peak Adam learning rate (linear warm-up, cosine decay to 10%)
 * @param warmupSteps steps of linear warm-up
 * @param maxGradNorm global gradient-norm clip
 * @param evalProblems fresh problems sampled at temperature 1 to measure accuracy
 * @param seed seed of initialisation, problems and noise
 * @param logIntervalMs period of the progress lines
 * @param store where the checkpoint is written, or null to skip writing
 * @param version checkpoint version written to {@code store}
 * @param initialPolicy the checkpoint to continue training from, or null to start from a fresh
 *     initialisation (a second warm-up stage continues the first with a schedule of its own)
 * @param snapshotEvery every this many steps, measure accuracy and write a snapshot to {@code
 *     store} as version {@code version + step} (0: none), to see the curve and pick a checkpoint
 */
public record PretrainOptions(
    TaskFamily task,
    TaskFamily evalTask,
    TraceWriter traceWriter,
    Tokenizer tokenizer,
    double answerEarlyRate,
    ModelConfig modelConfig,
    int steps,
    int batchSize,
    double learningRate,
    int warmupSteps,
    double maxGradNorm,
    int evalProblems,
    long seed,
    long logIntervalMs,
    CheckpointStore store,
    long version,
    Checkpoint initialPolicy,
    int snapshotEvery) {

  /**
   * The problems the initial policy is made for and measured on: 4 operations on operands 1..9 with
   * {@code +-}. (With operands 1..20 a 5-minute warm-up on 2 CPU cores reached only 2-4%.)
   */
  public static final ArithmeticTask.Config INITIAL_POLICY_TASK =
      ArithmeticTask.Config.builder().optSteps(4).optOperandRange(1, 9).build();

  /**
   * Training problems of the warm-up: 1 to 4 operations on operands 1..9, so short problems teach
   * the per-line arithmetic while 4-step ones teach finding the next operand.
   */
  public static final ArithmeticTask.Config WARMUP_TASK =
      ArithmeticTask.Config.builder().optStepRange(1, 4).optOperandRange(1, 9).build();

  /**
   * The countdown problems the countdown initial policy is made for, trained and measured on: the
   * {@code forks} level ({@link CountdownTask.Config#forks()}), 4 numbers from 1..6, targets 10..40
   * three moves away, where a valid first move often dooms the trace.
   */
  public static final CountdownTask.Config COUNTDOWN_POLICY_TASK = CountdownTask.Config.forks();

  /**
   * The wider level of the countdown warm-up's second stage: 4 numbers from 1..9, targets 10..60
   * three moves away, about five times the forks level's training instances. On the forks level
   * alone a warm-up recalls its roughly 850 training instances (35% of them solved after 6000
   * steps) and solves 11% of the held-out ones; the second stage trades that recall for breadth.
   */
  public static final CountdownTask.Config COUNTDOWN_WIDE_TASK = CountdownTask.Config.wide();

  /** Steps of the countdown warm-up's first stage, on {@link #COUNTDOWN_POLICY_TASK}. */
  public static final int COUNTDOWN_STAGE_ONE_STEPS = 6000;

  /** Length of the second stage's schedule (warm-up and cosine decay), on the wide level. */
  public static final int COUNTDOWN_STAGE_TWO_STEPS = 8000;

  /** The second stage's step whose snapshot is the shipped countdown policy. */
  public static final int COUNTDOWN_STAGE_TWO_SHIPPED_STEP = 4000;

  /** Share of moves the countdown warm-up traces take into a dead end when one exists. */
  public static final double COUNTDOWN_DOOM_RATE = 0.1;

  /** Share of doomed countdown warm-up traces that end by giving up rather than a wrong answer. */
  public static final double COUNTDOWN_GIVE_UP_RATE = 0.5;

  /** Starts a builder with the settings that produce the shipped initial policy. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder with the settings of the first stage of the shipped countdown initial policy
   * ({@link CountdownInitialPolicy}): {@link #COUNTDOWN_POLICY_TASK} for training and evaluation
   * (evaluation on held-out instances), traces from a {@link CountdownSolver}, the countdown
   * tokenizer, {@link #COUNTDOWN_STAGE_ONE_STEPS} steps.
   */
  public static Builder countdownBuilder() {
    return countdownBuilder(COUNTDOWN_POLICY_TASK);
  }

  /**
   * As {@link #countdownBuilder()}, training and measuring (on held-out instances) at {@code level}
   * instead of the shipped policy's level.
   */
  public static Builder countdownBuilder(CountdownTask.Config level) {
    CountdownTask task = new CountdownTask(level);
    return new Builder()
        .optTask(task)
        .optEvalTask(task)
        .optTraceWriter(
            new CountdownSolver(COUNTDOWN_DOOM_RATE, COUNTDOWN_GIVE_UP_RATE, task.oracle()))
        .optTokenizer(CharTokenizer.countdown())
        .optSteps(COUNTDOWN_STAGE_ONE_STEPS);
  }

  /**
   * The second stage: continues {@code stageOne} on {@link #COUNTDOWN_WIDE_TASK} (seed 2, {@link
   * #COUNTDOWN_STAGE_TWO_STEPS} steps, measured on the forks level's held-out instances), with a
   * snapshot every 2000 steps; the shipped policy is the snapshot at {@link
   * #COUNTDOWN_STAGE_TWO_SHIPPED_STEP}. Set the output store with {@link Builder#optOutput}.
   */
  public static Builder countdownStageTwoBuilder(Checkpoint stageOne) {
    CountdownTask wide = new CountdownTask(COUNTDOWN_WIDE_TASK);
    return countdownBuilder()
        .optTask(wide)
        .optTraceWriter(
            new CountdownSolver(COUNTDOWN_DOOM_RATE, COUNTDOWN_GIVE_UP_RATE, wide.oracle()))
        .optInitialPolicy(stageOne)
        .optSeed(2)
        .optSteps(COUNTDOWN_STAGE_TWO_STEPS)
        .optSnapshotEvery(2000);
  }

  /** Builder for {@link PretrainOptions}; every setting has a default. */
  public static final class Builder {
    private TaskFamily task = new ArithmeticTask(WARMUP_TASK);
    private TaskFamily evalTask = new ArithmeticTask(INITIAL_POLICY_TASK);
    private TraceWriter traceWriter = new NoisySolver(0.07);
    private Tokenizer tokenizer = CharTokenizer.arithmetic();
    private double answerEarlyRate = 0;
    private ModelConfig modelConfig;
    private int steps = 1500;
    private int batchSize = 32;
    private double learningRate = 2e-3;
    private int warmupSteps = 50;
    private double maxGradNorm = 1.0;
    private int evalProblems = 200;
    private long seed = 1;
    private long logIntervalMs = 10_000;
    private CheckpointStore store;
    private long version;
    private int snapshotEvery;
    private Checkpoint initialPolicy;

    private Builder() {}

    /** Arithmetic problems to train on. */
    public Builder optTaskConfig(ArithmeticTask.Config taskConfig) {
      return optTask(new ArithmeticTask(taskConfig));
    }

    /** Arithmetic problems to measure accuracy on. */
    public Builder optEvalTaskConfig(ArithmeticTask.Config evalTaskConfig) {
      return optEvalTask(new ArithmeticTask(evalTaskConfig));
    }

    /**
     * Share of arithmetic training steps written wrong (a {@link NoisySolver} writes the traces).
     *
     * @throws IllegalArgumentException unless {@code 0 <= stepErrorRate <= 1}
     */
    public Builder optStepErrorRate(double stepErrorRate) {
      return optTraceWriter(new NoisySolver(stepErrorRate));
    }

    /** Problems of any family to train on. */
    public Builder optTask(TaskFamily task) {
      this.task = task;
      return this;
    }

    /** Problems of any family to measure accuracy on. */
    public Builder optEvalTask(TaskFamily evalTask) {
      this.evalTask = evalTask;
      return this;
    }

    /** Writer of the training traces, for the training task's family. */
    public Builder optTraceWriter(TraceWriter traceWriter) {
      this.traceWriter = traceWriter;
      return this;
    }

    /** The policy's tokenizer. */
    public Builder optTokenizer(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
      return this;
    }

    /** Model sizes (vocabulary is checked against the tokenizer). */
    /** Share of traces replaced by an early answer (see {@link PretrainOptions}). */
    public Builder optAnswerEarlyRate(double answerEarlyRate) {
      this.answerEarlyRate = answerEarlyRate;
      return this;
    }

    public Builder optModelConfig(ModelConfig modelConfig) {
      this.modelConfig = modelConfig;
      return this;
    }

    /** Optimiser steps. */
    public Builder optSteps(int steps) {
      this.steps = steps;
      return this;
    }

    /** Traces per step. */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Peak learning rate. */
    public Builder optLearningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** Warm-up steps. */
    public Builder optWarmupSteps(int warmupSteps) {
      this.warmupSteps = warmupSteps;
      return this;
    }

    /** Gradient-norm clip. */
    public Builder optMaxGradNorm(double maxGradNorm) {
      this.maxGradNorm = maxGradNorm;
      return this;
    }

    /** Problems for the final accuracy measurement (0 skips it). */
    public Builder optEvalProblems(int evalProblems) {
      this.evalProblems = evalProblems;
      return this;
    }

    /** Seed of everything random. */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Progress line period. */
    public Builder optLogIntervalMs(long logIntervalMs) {
      this.logIntervalMs = logIntervalMs;
      return this;
    }

    /** Writes the trained policy to {@code store} as {@code version}. */
    public Builder optOutput(CheckpointStore store, long version) {
      this.store = store;
      this.version = version;
      return this;
    }

    /** Continues training {@code checkpoint} instead of a fresh initialisation. */
    public Builder optInitialPolicy(Checkpoint checkpoint) {
      this.initialPolicy = checkpoint;
      return this;
    }

    /**
     * Every {@code steps} steps, measures accuracy and writes a snapshot (version {@code version +
     * step}) to the output store; 0 (default) writes only the final checkpoint.
     */
    public Builder optSnapshotEvery(int steps) {
      this.snapshotEvery = steps;
      return this;
    }

    /** Validates and builds. */
    public PretrainOptions build() {
      if (task == null || evalTask == null || traceWriter == null || tokenizer == null) {
        throw new IllegalArgumentException(
            "task, evalTask, traceWriter and tokenizer are required");
      }
      if (!(answerEarlyRate >= 0 && answerEarlyRate <= 1)) {
        throw new IllegalArgumentException("answerEarlyRate must be in [0, 1]: " + answerEarlyRate);
      }
      if (steps <= 0 || batchSize <= 0) {
        throw new IllegalArgumentException("steps and batchSize must be positive");
      }
      if (!(learningRate > 0) || !(maxGradNorm > 0)) {
        throw new IllegalArgumentException("learningRate and maxGradNorm must be positive");
      }
      if (snapshotEvery < 0 || (snapshotEvery > 0 && store == null)) {
        throw new IllegalArgumentException("snapshotEvery must be >= 0 and needs an output store");
      }
      if (warmupSteps < 0 || evalProblems < 0 || logIntervalMs <= 0) {
        throw new IllegalArgumentException(
            "warmupSteps, evalProblems must be >= 0 and logIntervalMs > 0");
      }
      return new PretrainOptions(
          task,
          evalTask,
          traceWriter,
          tokenizer,
          answerEarlyRate,
          modelConfig,
          steps,
          batchSize,
          learningRate,
          warmupSteps,
          maxGradNorm,
          evalProblems,
          seed,
          logIntervalMs,
          store,
          version,
          initialPolicy,
          snapshotEvery);
    }
  }
}
