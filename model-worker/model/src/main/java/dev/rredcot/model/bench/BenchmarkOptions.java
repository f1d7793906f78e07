package dev.rredcot.model.bench;

import dev.rredcot.model.checkpoint.Checkpoint;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of {@link ModelBenchmark}.
 *
 * @param outputDir directory receiving {@code summary.json}
 * @param checkpoint policy to measure, or null for the shipped initial policy
 * @param accuracyProblems fresh 4-step problems for {@code initial_policy_accuracy} (0 skips)
 * @param valueTraces traces whose every line boundary gets a value (reuse vs re-run)
 * @param seed seed of problems and sampling
 * @param model a model directory ({@code --model DIR}, any kind {@link
 *     dev.rredcot.model.loading.BackendKinds} opens) whose scoring speed is measured beside the
 *     policy's, or null
 */
public record BenchmarkOptions(
    Path outputDir,
    Checkpoint checkpoint,
    int accuracyProblems,
    int valueTraces,
    long seed,
    Path model) {

  /** Validates. */
  public BenchmarkOptions {
    Objects.requireNonNull(outputDir, "outputDir");
    if (accuracyProblems < 0 || valueTraces <= 0) {
      throw new IllegalArgumentException("accuracyProblems >= 0 and valueTraces > 0 required");
    }
  }

  /** Starts a builder: initial policy, 500 accuracy problems, 32 value traces, seed 7. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link BenchmarkOptions}; the output directory is required. */
  public static final class Builder {
    private Path outputDir;
    private Checkpoint checkpoint;
    private int accuracyProblems = 500;
    private int valueTraces = 32;
    private long seed = 7;
    private Path model;

    private Builder() {}

    /** Where {@code summary.json} goes. */
    public Builder setOutputDir(Path outputDir) {
      this.outputDir = outputDir;
      return this;
    }

    /** Policy to measure (default: the shipped initial policy). */
    public Builder optCheckpoint(Checkpoint checkpoint) {
      this.checkpoint = checkpoint;
      return this;
    }

    /** Problems for the accuracy figure. */
    public Builder optAccuracyProblems(int accuracyProblems) {
      this.accuracyProblems = accuracyProblems;
      return this;
    }

    /** Traces for the value timing. */
    public Builder optValueTraces(int valueTraces) {
      this.valueTraces = valueTraces;
      return this;
    }

    /** Seed. */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A model directory whose scoring speed is measured beside the policy's. */
    public Builder optModel(Path model) {
      this.model = model;
      return this;
    }

    /** Validates and builds. */
    public BenchmarkOptions build() {
      if (outputDir == null) {
        throw new IllegalStateException("setOutputDir(...) is required");
      }
      return new BenchmarkOptions(
          outputDir, checkpoint, accuracyProblems, valueTraces, seed, model);
    }
  }
}
