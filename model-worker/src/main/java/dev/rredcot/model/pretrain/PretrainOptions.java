package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.task.ArithmeticTask;

/**
 * Settings of the supervised warm-up that produces the initial policy.
 *
 * @param taskConfig arithmetic problems trained on
 * @param evalTaskConfig problems the accuracy is measured on (4 steps by default)
 * @param stepErrorRate probability that the NoisySolver writes a step wrong in a training trace
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
 */
public record PretrainOptions(
    ArithmeticTask.Config taskConfig,
    ArithmeticTask.Config evalTaskConfig,
    double stepErrorRate,
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
    long version) {

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

  /** Starts a builder with the settings that produce the shipped initial policy. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link PretrainOptions}; every setting has a default. */
  public static final class Builder {
    private ArithmeticTask.Config taskConfig = WARMUP_TASK;
    private ArithmeticTask.Config evalTaskConfig = INITIAL_POLICY_TASK;
    private double stepErrorRate = 0.07;
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

    private Builder() {}

    /** Problems to train on. */
    public Builder optTaskConfig(ArithmeticTask.Config taskConfig) {
      this.taskConfig = taskConfig;
      return this;
    }

    /** Problems to measure accuracy on. */
    public Builder optEvalTaskConfig(ArithmeticTask.Config evalTaskConfig) {
      this.evalTaskConfig = evalTaskConfig;
      return this;
    }

    /** Share of training steps written wrong. */
    public Builder optStepErrorRate(double stepErrorRate) {
      this.stepErrorRate = stepErrorRate;
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

    /** Validates and builds. */
    public PretrainOptions build() {
      if (!(stepErrorRate >= 0 && stepErrorRate <= 1)) {
        throw new IllegalArgumentException("stepErrorRate must be in [0, 1]: " + stepErrorRate);
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
      if (warmupSteps < 0 || evalProblems < 0 || logIntervalMs <= 0) {
        throw new IllegalArgumentException(
            "warmupSteps, evalProblems must be >= 0 and logIntervalMs > 0");
      }
      return new PretrainOptions(
          taskConfig,
          evalTaskConfig,
          stepErrorRate,
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
          version);
    }
  }
}
