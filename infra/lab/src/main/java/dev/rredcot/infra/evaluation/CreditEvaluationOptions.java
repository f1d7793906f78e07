package dev.rredcot.infra.evaluation;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.TaskFamily;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of {@link CreditEvaluation}; built and validated by {@link Builder#build()}.
 *
 * @param outDir where {@code summary.json} and {@code report.html} go
 * @param task the task family evaluated (arith by default)
 * @param checkpointStore store whose latest checkpoint is evaluated; empty: the shipped initial
 *     policy (see {@link StartingPolicy})
 * @param initialPolicyStore where the shipped initial policy is materialised
 * @param rollouts held-out rollouts scored by every method
 * @param levels difficulty levels ({@link BuiltInTask#atLevel}; default the task's), rollouts
 *     spread evenly over them
 * @param groupSize traces sampled per prompt (the group the bank and GRPO baselines see)
 * @param mcTruthSamples M of the Monte Carlo ground truth
 * @param smallMcSamples the M of the {@code mc<M>} methods
 * @param maxTokens most tokens per trace and per Monte Carlo continuation
 * @param targetSegments target segment count of the main (hybrid) segmentation
 * @param ablationTargets target segment counts of the hybrid ablation
 * @param ablationRollouts how many of the rollouts (spread over levels) the ablations use
 * @param fixedTokens segment length of the fixed-length ablation
 * @param bootstrapResamples resamples of every bootstrap interval
 * @param seed seed of sampling, ground truth and bootstrap
 * @param progressIntervalMs at most one progress line per interval
 */
public record CreditEvaluationOptions(
    Path outDir,
    BuiltInTask task,
    Optional<Path> checkpointStore,
    Path initialPolicyStore,
    int rollouts,
    List<Integer> levels,
    Optional<String> countdownLevel,
    boolean naturalMix,
    int groupSize,
    int mcTruthSamples,
    List<Integer> smallMcSamples,
    int maxTokens,
    int targetSegments,
    List<Integer> ablationTargets,
    int ablationRollouts,
    int fixedTokens,
    int bootstrapResamples,
    long seed,
    long progressIntervalMs) {

  /**
   * Starts a builder with the defaults: 60 rollouts (3/4/5 steps), M = 64, ablations on 24 of them;
   * measured 4.5 minutes on the shared 2-core machine (102/42 rollouts: 10.7 minutes on a busier
   * machine).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder: {@code setOutDir} is required. */
  /** The problems of difficulty {@code steps}: the task's, or the named countdown level's. */
  public TaskFamily atLevel(int steps) {
    return countdownLevel
        .<TaskFamily>map(name -> BuiltInTask.countdownAt(CountdownTask.Config.level(name), steps))
        .orElseGet(() -> task.atLevel(steps));
  }

  public static final class Builder {
    private Path outDir;
    private Optional<Path> checkpointStore = Optional.empty();
    private Path initialPolicyStore = StartingPolicy.defaultInitialPolicyStore();
    private int rollouts = 60;
    private BuiltInTask task = BuiltInTask.ARITH;
    private List<Integer> levels;
    private Optional<String> countdownLevel = Optional.empty();
    private boolean naturalMix;
    private int groupSize = 4;
    private int mcTruthSamples = 64;
    private List<Integer> smallMcSamples = List.of(1, 2, 4, 8);
    private int maxTokens = 64;
    private int targetSegments = 8;
    private List<Integer> ablationTargets = List.of(2, 3, 4);
    private int ablationRollouts = 24;
    private int fixedTokens = 8;
    private int bootstrapResamples = 1000;
    private long seed = 1;
    private long progressIntervalMs = 15_000;

    private Builder() {}

    public Builder setOutDir(Path value) {
      this.outDir = value;
      return this;
    }

    public Builder optCheckpointStore(Path value) {
      this.checkpointStore = Optional.ofNullable(value);
      return this;
    }

    public Builder optInitialPolicyStore(Path value) {
      this.initialPolicyStore = Objects.requireNonNull(value);
      return this;
    }

    public Builder optRollouts(int value) {
      this.rollouts = value;
      return this;
    }

    /** The task family evaluated; its default levels apply unless {@link #optLevels} is set. */
    public Builder optTask(BuiltInTask value) {
      this.task = value;
      return this;
    }

    /**
     * A named countdown level ({@code CountdownTask.Config.LEVELS}) instead of the shipped
     * policy's: its numbers and targets, at its own number of moves unless {@link #optLevels} is
     * set.
     */
    public Builder optCountdownLevel(String value) {
      this.countdownLevel = Optional.of(value);
      return this;
    }

    /**
     * Every trace of each sampled group, as the policy writes them (default false: half correct,
     * one correct and one wrong trace per prompt at most).
     */
    public Builder optNaturalMix(boolean value) {
      this.naturalMix = value;
      return this;
    }

    public Builder optLevels(List<Integer> value) {
      this.levels = List.copyOf(value);
      return this;
    }

    public Builder optGroupSize(int value) {
      this.groupSize = value;
      return this;
    }

    public Builder optMcTruthSamples(int value) {
      this.mcTruthSamples = value;
      return this;
    }

    public Builder optSmallMcSamples(List<Integer> value) {
      this.smallMcSamples = List.copyOf(value);
      return this;
    }

    public Builder optMaxTokens(int value) {
      this.maxTokens = value;
      return this;
    }

    public Builder optTargetSegments(int value) {
      this.targetSegments = value;
      return this;
    }

    public Builder optAblationTargets(List<Integer> value) {
      this.ablationTargets = List.copyOf(value);
      return this;
    }

    public Builder optAblationRollouts(int value) {
      this.ablationRollouts = value;
      return this;
    }

    public Builder optFixedTokens(int value) {
      this.fixedTokens = value;
      return this;
    }

    public Builder optBootstrapResamples(int value) {
      this.bootstrapResamples = value;
      return this;
    }

    public Builder optSeed(long value) {
      this.seed = value;
      return this;
    }

    public Builder optProgressIntervalMs(long value) {
      this.progressIntervalMs = value;
      return this;
    }

    /** Validates; messages name the option to change. */
    public CreditEvaluationOptions build() {
      if (outDir == null) {
        throw new IllegalArgumentException("--out is required");
      }
      require(rollouts >= 2, "--rollouts must be >= 2, got " + rollouts);
      if (countdownLevel.isPresent()) {
        require(
            task == BuiltInTask.COUNTDOWN, "--level names a countdown level: add --task countdown");
        try {
          CountdownTask.Config.level(countdownLevel.get());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--level: " + e.getMessage(), e);
        }
      }
      List<Integer> levels =
          this.levels != null
              ? this.levels
              : countdownLevel
                  .map(name -> List.of(CountdownTask.Config.level(name).solutionSteps()))
                  .orElse(task.defaultLevels());
      require(!levels.isEmpty(), "at least one difficulty level is required");
      for (int level : levels) {
        require(level >= 1 && level <= 8, "levels must be 1..8 steps, got " + level);
      }
      require(groupSize >= 2, "group size must be >= 2, got " + groupSize);
      require(mcTruthSamples >= 1, "--mc-truth must be >= 1, got " + mcTruthSamples);
      for (int m : smallMcSamples) {
        require(m >= 1, "small Monte Carlo sample counts must be >= 1, got " + smallMcSamples);
      }
      require(maxTokens >= 1, "max tokens must be >= 1, got " + maxTokens);
      require(targetSegments >= 1, "target segments must be >= 1, got " + targetSegments);
      for (int target : ablationTargets) {
        require(target >= 1, "ablation targets must be >= 1, got " + ablationTargets);
      }
      require(ablationRollouts >= 0, "--ablation-rollouts must be >= 0, got " + ablationRollouts);
      require(fixedTokens >= 1, "fixed tokens must be >= 1, got " + fixedTokens);
      require(bootstrapResamples >= 1, "bootstrap resamples must be >= 1");
      require(progressIntervalMs >= 0, "progress interval must be >= 0");
      return new CreditEvaluationOptions(
          outDir,
          task,
          checkpointStore,
          initialPolicyStore,
          rollouts,
          levels,
          countdownLevel,
          naturalMix,
          groupSize,
          mcTruthSamples,
          smallMcSamples,
          maxTokens,
          targetSegments,
          ablationTargets,
          Math.min(ablationRollouts, rollouts),
          fixedTokens,
          bootstrapResamples,
          seed,
          progressIntervalMs);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
