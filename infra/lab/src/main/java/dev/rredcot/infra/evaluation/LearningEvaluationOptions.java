package dev.rredcot.infra.evaluation;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of {@link LearningEvaluation}; built and validated by {@link Builder#build()}.
 *
 * @param outDir where {@code summary.json} and {@code report.html} go
 * @param task the task family trained and evaluated on (arith by default), from its shipped policy
 * @param level the countdown level trained and evaluated on ({@code CountdownTask.Config#level});
 *     empty: the one the shipped countdown policy was made for ({@code forks})
 * @param checkpointStore store whose latest checkpoint every run starts from; empty: the shipped
 *     initial policy (see {@link StartingPolicy})
 * @param initialPolicyStore where the shipped initial policy is materialised
 * @param arms the arms compared ({@link LearningArm}: {@code grpo} or {@code <rule>:<values>}); the
 *     one named {@code grpo} is the baseline of every paired comparison
 * @param ceilingArm the arm whose gain over GRPO every other arm's gain is a share of (the policy's
 *     own value, e.g. {@code rudder:reach*mc16}); empty: none (no {@code ceiling_share})
 * @param seeds runs per arm (seeds 1..n); seed s gives every arm the same training prompts and the
 *     same held-out set, so arms are compared seed by seed
 * @param rolloutBudget rollouts each run may consume (rounded down to whole steps)
 * @param promptsPerStep prompts P per training step
 * @param groupSize traces G per prompt
 * @param evaluateEverySteps held-out evaluation every n steps (and at the start and the end)
 * @param evalPrompts held-out prompts
 * @param evalSamplesPerPrompt sampled traces per held-out prompt
 * @param learningRate Adam learning rate of {@code Policy.trainStep} (default 5e-5, the GRPO loop's
 *     measured default: 1e-4 made no progress there and 3e-4 collapsed the policy)
 * @param targetGainPoints target accuracy = initial sampled accuracy + this (absolute, 0.10 = 10
 *     points)
 * @param maxTokens most tokens per trace
 * @param reweightStrength β of rredcot-reweight (the pipeline's default)
 * @param valueScale c of rredcot-rudder (the pipeline's default)
 * @param grpoMix λ of rredcot-rudder (the pipeline's default, 0)
 * @param advantageEpsilon ε of the group advantage (default {@code
 *     GroupAdvantages.DEFAULT_EPSILON})
 * @param targetSegments target segment count of the hybrid segmentation
 * @param bootstrapResamples resamples (over seeds) of every paired interval
 * @param workers runs trained at once, each with its own policy instance (default: the available
 *     processors; PyTorch runs one intra-op thread per run); results do not depend on it
 */
public record LearningEvaluationOptions(
    Path outDir,
    BuiltInTask task,
    Optional<String> level,
    Optional<Path> checkpointStore,
    Path initialPolicyStore,
    List<LearningArm> arms,
    Optional<String> ceilingArm,
    int seeds,
    int rolloutBudget,
    int promptsPerStep,
    int groupSize,
    int evaluateEverySteps,
    int evalPrompts,
    int evalSamplesPerPrompt,
    double learningRate,
    double targetGainPoints,
    int maxTokens,
    double reweightStrength,
    double valueScale,
    double grpoMix,
    double advantageEpsilon,
    int targetSegments,
    int bootstrapResamples,
    int workers) {

  /**
   * Starts a builder with the defaults: arms grpo, the ceiling rudder:reach*mc16 (on countdown;
   * rudder:mc16 on arithmetic, which has no oracle) and the three rules on the shipped bank; 8
   * seeds; 6144 rollouts per run (48 steps of 16 x 8); held-out evaluation every 4 steps on 1024
   * prompts, one sample each at temperature 1 plus one greedy trace (standard error about 1.6
   * points per point, less for paired differences).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The problems trained and evaluated on: the task at {@link #level}, or as its policy's. */
  public TaskFamily trainedTask() {
    return level
        .<TaskFamily>map(name -> new CountdownTask(CountdownTask.Config.level(name)))
        .orElseGet(task::trained);
  }

  /** The task's name in summaries: the family, with {@code :level} when one was chosen. */
  public String taskName() {
    return task.familyName() + level.map(name -> ":" + name).orElse("");
  }

  /** Training steps per run. */
  public int steps() {
    return rolloutBudget / (promptsPerStep * groupSize);
  }

  /** Builder: {@code setOutDir} is required. */
  public static final class Builder {
    private Path outDir;
    private Optional<Path> checkpointStore = Optional.empty();
    private Path initialPolicyStore = StartingPolicy.defaultInitialPolicyStore();
    private BuiltInTask task = BuiltInTask.ARITH;
    private Optional<String> level = Optional.empty();
    private List<LearningArm> arms;
    private Optional<String> ceilingArm;
    private int seeds = 8;
    private int rolloutBudget = 6144;
    private int promptsPerStep = 16;
    private int groupSize = 8;
    private int evaluateEverySteps = 4;
    private int evalPrompts = 1024;
    private int evalSamplesPerPrompt = 1;
    private double learningRate = 5e-5;
    private double targetGainPoints = 0.10;
    private int maxTokens = 64;
    private double reweightStrength = TokenAdvantages.Settings.DEFAULT_REWEIGHT_STRENGTH;
    private double valueScale = TokenAdvantages.Settings.DEFAULT_VALUE_SCALE;
    private double grpoMix;
    private double advantageEpsilon = GroupAdvantages.DEFAULT_EPSILON;
    private int targetSegments = 8;
    private int bootstrapResamples = 2000;
    private int workers = Runtime.getRuntime().availableProcessors();

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

    public Builder optTask(BuiltInTask value) {
      this.task = value;
      return this;
    }

    /** The countdown level by name (one of {@code CountdownTask.Config.LEVELS}). */
    public Builder optLevel(String value) {
      this.level = Optional.of(value);
      return this;
    }

    public Builder optArms(List<LearningArm> value) {
      this.arms = List.copyOf(value);
      return this;
    }

    /** The ceiling arm by name; unset: the first arm on Monte Carlo values, if any. */
    public Builder optCeilingArm(String value) {
      this.ceilingArm = Optional.of(value);
      return this;
    }

    public Builder optValueScale(double value) {
      this.valueScale = value;
      return this;
    }

    public Builder optGrpoMix(double value) {
      this.grpoMix = value;
      return this;
    }

    public Builder optSeeds(int value) {
      this.seeds = value;
      return this;
    }

    public Builder optRolloutBudget(int value) {
      this.rolloutBudget = value;
      return this;
    }

    public Builder optPromptsPerStep(int value) {
      this.promptsPerStep = value;
      return this;
    }

    public Builder optGroupSize(int value) {
      this.groupSize = value;
      return this;
    }

    public Builder optEvaluateEverySteps(int value) {
      this.evaluateEverySteps = value;
      return this;
    }

    public Builder optEvalPrompts(int value) {
      this.evalPrompts = value;
      return this;
    }

    public Builder optEvalSamplesPerPrompt(int value) {
      this.evalSamplesPerPrompt = value;
      return this;
    }

    public Builder optLearningRate(double value) {
      this.learningRate = value;
      return this;
    }

    public Builder optTargetGainPoints(double value) {
      this.targetGainPoints = value;
      return this;
    }

    public Builder optMaxTokens(int value) {
      this.maxTokens = value;
      return this;
    }

    public Builder optReweightStrength(double value) {
      this.reweightStrength = value;
      return this;
    }

    public Builder optAdvantageEpsilon(double value) {
      this.advantageEpsilon = value;
      return this;
    }

    public Builder optTargetSegments(int value) {
      this.targetSegments = value;
      return this;
    }

    public Builder optWorkers(int value) {
      this.workers = value;
      return this;
    }

    public Builder optBootstrapResamples(int value) {
      this.bootstrapResamples = value;
      return this;
    }

    /** Validates; messages name the option to change. */
    public LearningEvaluationOptions build() {
      if (outDir == null) {
        throw new IllegalArgumentException("--out is required");
      }
      List<LearningArm> chosenArms = arms != null ? arms : defaultArms(task);
      require(!chosenArms.isEmpty(), "at least one arm is required");
      require(
          chosenArms.stream().map(LearningArm::name).distinct().count() == chosenArms.size(),
          "arms must have distinct names, got "
              + chosenArms.stream().map(LearningArm::name).toList());
      Optional<String> ceiling =
          ceilingArm != null
              ? ceilingArm
              : chosenArms.stream()
                  .filter(arm -> arm.values().mcSamples() > 0)
                  .map(LearningArm::name)
                  .findFirst();
      ceiling.ifPresent(
          name ->
              require(
                  chosenArms.stream()
                      .anyMatch(
                          arm -> arm.name().equals(name) && !name.equals(LearningArm.BASELINE)),
                  "--ceiling " + name + " must be one of the arms other than grpo"));
      require(valueScale > 0, "value scale must be > 0, got " + valueScale);
      require(grpoMix >= 0, "grpo mix must be >= 0, got " + grpoMix);
      require(seeds >= 1, "--seeds must be >= 1, got " + seeds);
      require(promptsPerStep >= 1, "prompts per step must be >= 1, got " + promptsPerStep);
      require(groupSize >= 2, "group size must be >= 2 (a group of one has no baseline)");
      require(
          rolloutBudget >= promptsPerStep * groupSize,
          "--rollouts-budget must cover at least one step ("
              + promptsPerStep * groupSize
              + " rollouts), got "
              + rolloutBudget);
      require(evaluateEverySteps >= 1, "evaluate-every must be >= 1");
      require(evalPrompts >= 1 && evalSamplesPerPrompt >= 1, "held-out set must be non-empty");
      require(learningRate > 0, "learning rate must be > 0, got " + learningRate);
      require(targetGainPoints > 0, "target gain must be > 0, got " + targetGainPoints);
      require(maxTokens >= 1, "max tokens must be >= 1");
      require(reweightStrength >= 0, "reweight strength must be >= 0");
      require(advantageEpsilon > 0, "advantage epsilon must be > 0");
      require(targetSegments >= 1, "target segments must be >= 1");
      require(bootstrapResamples >= 1, "bootstrap resamples must be >= 1");
      require(workers >= 1, "--workers must be >= 1, got " + workers);
      level.ifPresent(
          name -> {
            require(
                task == BuiltInTask.COUNTDOWN,
                "--level is a countdown level: use --task countdown");
            CountdownTask.Config.level(name);
          });
      return new LearningEvaluationOptions(
          outDir,
          task,
          level,
          checkpointStore,
          initialPolicyStore,
          chosenArms,
          ceiling,
          seeds,
          rolloutBudget,
          promptsPerStep,
          groupSize,
          evaluateEverySteps,
          evalPrompts,
          evalSamplesPerPrompt,
          learningRate,
          targetGainPoints,
          maxTokens,
          reweightStrength,
          valueScale,
          grpoMix,
          advantageEpsilon,
          targetSegments,
          bootstrapResamples,
          workers);
    }

    /**
     * grpo, the ceiling on the policy's own value (gated by the exact oracle where the task has
     * one) and the three rules on the shipped bank.
     */
    static List<LearningArm> defaultArms(BuiltInTask task) {
      String ceiling = task == BuiltInTask.COUNTDOWN ? "rudder:reach*mc16" : "rudder:mc16";
      return LearningArm.parse(
          List.of("grpo", ceiling, "rudder:bank", "reweight:bank", "dense:bank"));
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
