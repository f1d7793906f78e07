package dev.rredcot.model.trainer;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.GenerationOptions;
import dev.rredcot.model.policy.GenerationRequest;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.Sample;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainOptions;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain GRPO without Kafka or Beam: samples {@code G} traces for each of {@code P} prompts per
 * step, verifies them, gives every token of trace {@code i} the group advantage {@code A_i} (groups
 * with equal rewards are left out), runs {@link Policy#trainStep} and measures held-out accuracy
 * every {@code n} steps. It is the reference the streaming loop is compared with, and the first
 * proof that the policy learns.
 *
 * <p>Usage (the policy is trained in place):
 *
 * <pre>{@code
 * GrpoLoopResult result =
 *     InProcessGrpoLoop.builder().setTask(task).setEvaluator(evaluator).optSteps(100).build().run(policy);
 * }</pre>
 *
 * <p>Measured here (2 shared cores, 128 held-out prompts x 4 samples, P 32, G 8, lr 5e-5, clip 0.2,
 * no KL): from the shipped initial policy, sampled accuracy 48.4% -> 71.3% in 91 steps and 443 s of
 * wall time (greedy 88.3% -> 86.7%); from this class's own warm-up on operands 1..20, 17.2% ->
 * 28.5% in 169 steps, 434 s. With the warm-up start, lr 1e-4 made no progress and 3e-4 collapsed
 * the policy within 15 steps.
 *
 * <p>From the command line ({@code key=value} arguments, see {@link #main}):
 *
 * <pre>
 * java -Dai.djl.offline=true -cp ... dev.rredcot.model.trainer.InProcessGrpoLoop \
 *     init-store=/tmp/rredcot-loop/init warmup-steps=1500 more-warmup-steps=1500 steps=600 \
 *     max-minutes=6.5 lr=5e-5 prompts=32 eval-prompts=128 eval-every=20
 * </pre>
 */
public final class InProcessGrpoLoop {

  private static final Logger LOG = LoggerFactory.getLogger(InProcessGrpoLoop.class);

  private final TaskFamily task;
  private final HeldOutEvaluator evaluator;
  private final int promptsPerStep;
  private final int groupSize;
  private final int steps;
  private final long maxTrainingWallTimeMs;
  private final int evaluateEverySteps;
  private final TrainOptions trainOptions;
  private final int updatesPerBatch;
  private final double temperature;
  private final int maxTokens;
  private final long firstPromptSeed;
  private final long samplingSeed;

  private InProcessGrpoLoop(Builder builder) {
    this.task = builder.task;
    this.evaluator = builder.evaluator;
    this.promptsPerStep = builder.promptsPerStep;
    this.groupSize = builder.groupSize;
    this.steps = builder.steps;
    this.maxTrainingWallTimeMs = builder.maxTrainingWallTimeMs;
    this.evaluateEverySteps = builder.evaluateEverySteps;
    this.trainOptions = builder.trainOptions;
    this.updatesPerBatch = builder.updatesPerBatch;
    this.temperature = builder.temperature;
    this.maxTokens = builder.maxTokens;
    this.firstPromptSeed = builder.firstPromptSeed;
    this.samplingSeed = builder.samplingSeed;
  }

  /** Starts a builder (defaults: P 16, G 8, 100 steps, lr 5e-5, clip 0.2, 1 update per batch). */
  public static Builder builder() {
    return new Builder();
  }

  /** Trains {@code policy} in place and returns the figures; evaluates before the first step. */
  public GrpoLoopResult run(Policy policy) {
    long start = System.nanoTime();
    long trainingNanos = 0;
    List<GrpoStepRecord> records = new ArrayList<>();
    List<EvaluationResult> evaluations = new ArrayList<>();
    if (evaluator != null) {
      evaluations.add(evaluator.evaluate(policy));
    }
    for (int step = 1; step <= steps; step++) {
      if (trainingNanos / 1_000_000 >= maxTrainingWallTimeMs) {
        LOG.info(
            "training wall-time budget {} ms used up after {} steps",
            maxTrainingWallTimeMs,
            step - 1);
        break;
      }
      long stepStart = System.nanoTime();
      GrpoStepRecord record = step(policy, step);
      trainingNanos += System.nanoTime() - stepStart;
      records.add(record);
      LOG.info(
          "step {}: reward {} groups {} traces {} loss {} kl {} clip {} ({} ms gen, {} ms train)",
          step,
          String.format("%.3f", record.meanReward()),
          record.informativeGroups(),
          record.trainedTraces(),
          String.format("%.4f", record.loss()),
          String.format("%.4f", record.kl()),
          String.format("%.3f", record.clipFraction()),
          record.generateMs(),
          record.trainMs());
      if (evaluator != null && step % evaluateEverySteps == 0) {
        evaluations.add(evaluator.evaluate(policy));
      }
    }
    if (evaluator != null
        && !records.isEmpty()
        && records.get(records.size() - 1).step() % evaluateEverySteps != 0) {
      evaluations.add(evaluator.evaluate(policy));
    }
    return new GrpoLoopResult(
        records, evaluations, (System.nanoTime() - start) / 1_000_000, trainingNanos / 1_000_000);
  }

  /** One sample-verify-train step. */
  GrpoStepRecord step(Policy policy, int step) {
    long start = System.nanoTime();
    List<Problem> problems = new ArrayList<>(promptsPerStep);
    List<GenerationRequest> requests = new ArrayList<>(promptsPerStep * groupSize);
    for (int p = 0; p < promptsPerStep; p++) {
      Problem problem = task.generate(firstPromptSeed + (long) (step - 1) * promptsPerStep + p);
      problems.add(problem);
      for (int g = 0; g < groupSize; g++) {
        requests.add(GenerationRequest.of(problem.prompt()));
      }
    }
    List<Sample> samples =
        policy.generate(
            requests,
            GenerationOptions.builder()
                .optTemperature(temperature)
                .optMaxTokens(maxTokens)
                .optSeed(samplingSeed * 1_000_003L + step)
                .optAnswerCue(task.answerCue())
                .build());
    List<TrainExample> batch = new ArrayList<>();
    double rewardSum = 0;
    int informativeGroups = 0;
    for (int p = 0; p < promptsPerStep; p++) {
      double[] rewards = new double[groupSize];
      for (int g = 0; g < groupSize; g++) {
        rewards[g] = task.verify(problems.get(p), samples.get(p * groupSize + g).text()).reward();
        rewardSum += rewards[g];
      }
      double[] advantages = GroupAdvantages.grpo(rewards, GroupAdvantages.DEFAULT_EPSILON);
      boolean informative = false;
      for (int g = 0; g < groupSize; g++) {
        Sample sample = samples.get(p * groupSize + g);
        if (advantages[g] == 0 || sample.tokenIds().length == 0) {
          continue;
        }
        informative = true;
        float[] tokenAdvantages = new float[sample.tokenIds().length];
        Arrays.fill(tokenAdvantages, (float) advantages[g]);
        batch.add(
            new TrainExample(
                problems.get(p).prompt(), sample.tokenIds(), tokenAdvantages, sample.logProbs()));
      }
      if (informative) {
        informativeGroups++;
      }
    }
    long generated = System.nanoTime();
    TrainStepResult last = null;
    if (!batch.isEmpty()) {
      for (int update = 0; update < updatesPerBatch; update++) {
        last = policy.trainStep(batch, trainOptions);
      }
    }
    long trained = System.nanoTime();
    return new GrpoStepRecord(
        step,
        rewardSum / (promptsPerStep * groupSize),
        informativeGroups,
        batch.size(),
        last == null ? Double.NaN : last.loss(),
        last == null ? 0 : last.kl(),
        last == null ? 0 : last.clipFraction(),
        (generated - start) / 1_000_000,
        (trained - generated) / 1_000_000);
  }

  /**
   * Runs the experiment from the command line with {@code key=value} arguments: {@code init}
   * ({@code shipped}, the default: the shipped {@link InitialPolicy} on its 4-step, operands 1..9
   * task; {@code warmup}: this class's own warm-up on the default task), {@code init-store} (a
   * checkpoint store directory; its latest checkpoint is the start, or a fresh warm-up is written
   * there as version 0), {@code warmup-steps} (400), {@code warmup-error} (0.15), {@code d-model}
   * (128), {@code layers} (2), {@code steps} (200), {@code max-minutes} (7), {@code prompts} (32),
   * {@code group} (8), {@code lr} (5e-5), {@code clip} (0.2), {@code updates} (1), {@code
   * eval-every} (10), {@code eval-prompts} (64), {@code eval-k} (4), {@code seed} (1).
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> arguments = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("arguments are key=value, got '" + arg + "'");
      }
      arguments.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    boolean shipped = arguments.getOrDefault("init", "shipped").equals("shipped");
    // The shipped policy is made for operands 1..9; the fallback warm-up for the defaults (1..20).
    ArithmeticTask task =
        shipped
            ? new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK)
            : ArithmeticTask.defaults();
    long seed = Long.parseLong(arguments.getOrDefault("seed", "1"));
    CheckpointStore store =
        new CheckpointStore(
            Path.of(arguments.getOrDefault("init-store", "/tmp/rredcot-loop/init")), 3);
    if (shipped) {
      InitialPolicy.materialise(store);
    }
    try (Policy policy = initialPolicy(store, task, arguments, seed)) {
      HeldOutEvaluator evaluator =
          HeldOutEvaluator.builder()
              .setTask(task)
              .optPrompts(Integer.parseInt(arguments.getOrDefault("eval-prompts", "64")))
              .optSamplesPerPrompt(Integer.parseInt(arguments.getOrDefault("eval-k", "4")))
              .build();
      InProcessGrpoLoop loop =
          builder()
              .setTask(task)
              .setEvaluator(evaluator)
              .optPromptsPerStep(Integer.parseInt(arguments.getOrDefault("prompts", "32")))
              .optGroupSize(Integer.parseInt(arguments.getOrDefault("group", "8")))
              .optSteps(Integer.parseInt(arguments.getOrDefault("steps", "200")))
              .optMaxTrainingWallTimeMs(
                  (long) (Double.parseDouble(arguments.getOrDefault("max-minutes", "7")) * 60_000))
              .optEvaluateEverySteps(Integer.parseInt(arguments.getOrDefault("eval-every", "10")))
              .optUpdatesPerBatch(Integer.parseInt(arguments.getOrDefault("updates", "1")))
              .optTrainOptions(
                  TrainOptions.builder()
                      .optLearningRate(Double.parseDouble(arguments.getOrDefault("lr", "5e-5")))
                      .optClipEpsilon(Double.parseDouble(arguments.getOrDefault("clip", "0.2")))
                      .build())
              .optSamplingSeed(seed)
              .build();
      GrpoLoopResult result = loop.run(policy);
      for (EvaluationResult evaluation : result.evaluations()) {
        LOG.info("evaluation {}", evaluation);
      }
      LOG.info(
          "RESULT {} steps in {} s of training ({} steps/s), {} s in total; held-out sampled"
              + " accuracy {} -> {} (gain {}), greedy {} -> {}",
          result.steps().size(),
          result.trainingWallTimeMs() / 1000,
          String.format("%.3f", result.stepsPerSecond()),
          result.wallTimeMs() / 1000,
          String.format("%.3f", result.evaluations().get(0).sampledAccuracy()),
          String.format(
              "%.3f", result.evaluations().get(result.evaluations().size() - 1).sampledAccuracy()),
          String.format("%.3f", result.sampledAccuracyGain()),
          String.format("%.3f", result.evaluations().get(0).greedyAccuracy()),
          String.format(
              "%.3f", result.evaluations().get(result.evaluations().size() - 1).greedyAccuracy()));
    }
  }

  private static Policy initialPolicy(
      CheckpointStore store, TaskFamily task, Map<String, String> arguments, long seed)
      throws IOException {
    Optional<Checkpoint> latest = store.latest();
    if (latest.isPresent()) {
      Policy loaded = Policy.load(latest.get());
      int moreSteps = Integer.parseInt(arguments.getOrDefault("more-warmup-steps", "0"));
      if (moreSteps > 0) {
        // Continues a warm-up that stopped too early, as the next version of the store.
        double loss =
            SupervisedWarmUp.run(
                loaded,
                task,
                Double.parseDouble(arguments.getOrDefault("warmup-error", "0.15")),
                moreSteps,
                32,
                Double.parseDouble(arguments.getOrDefault("warmup-lr", "1e-3")),
                seed + latest.get().version() + 1);
        loaded.save(
            store, latest.get().version() + 1, latest.get().version(), Map.of("warmup_loss", loss));
      }
      return loaded;
    }
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    ModelConfig config =
        ModelConfig.builder()
            .setVocabSize(tokenizer.vocabSize())
            .optDModel(Integer.parseInt(arguments.getOrDefault("d-model", "128")))
            .optLayers(Integer.parseInt(arguments.getOrDefault("layers", "2")))
            .optDFF(4 * Integer.parseInt(arguments.getOrDefault("d-model", "128")))
            .optMaxContext(96)
            .build();
    Policy policy = Policy.create(config, tokenizer, seed);
    double loss =
        SupervisedWarmUp.run(
            policy,
            task,
            Double.parseDouble(arguments.getOrDefault("warmup-error", "0.15")),
            Integer.parseInt(arguments.getOrDefault("warmup-steps", "400")),
            32,
            Double.parseDouble(arguments.getOrDefault("warmup-lr", "1e-3")),
            seed);
    policy.save(store, 0, null, Map.of("warmup_loss", loss));
    return policy;
  }

  /** Builder for {@link InProcessGrpoLoop}; {@code task} is required. */
  public static final class Builder {
    private TaskFamily task;
    private HeldOutEvaluator evaluator;
    private int promptsPerStep = 16;
    private int groupSize = 8;
    private int steps = 100;
    private long maxTrainingWallTimeMs = Long.MAX_VALUE;
    private int evaluateEverySteps = 10;
    private TrainOptions trainOptions = TrainerOptions.defaultTrainOptions();
    private int updatesPerBatch = 1;
    private double temperature = 1.0;
    private int maxTokens = 64;
    private long firstPromptSeed;
    private long samplingSeed = 1;

    private Builder() {}

    /** Task family that generates and verifies training problems. */
    public Builder setTask(TaskFamily task) {
      this.task = task;
      return this;
    }

    /** Held-out evaluator, or null to skip evaluation. */
    public Builder setEvaluator(HeldOutEvaluator evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /** Prompts per step, P (default 16). */
    public Builder optPromptsPerStep(int promptsPerStep) {
      this.promptsPerStep = promptsPerStep;
      return this;
    }

    /** Traces per prompt, G (default 8). */
    public Builder optGroupSize(int groupSize) {
      this.groupSize = groupSize;
      return this;
    }

    /** Most training steps (default 100). */
    public Builder optSteps(int steps) {
      this.steps = steps;
      return this;
    }

    /** Stops starting new steps after this much training wall time (evaluations excluded). */
    public Builder optMaxTrainingWallTimeMs(long maxTrainingWallTimeMs) {
      this.maxTrainingWallTimeMs = maxTrainingWallTimeMs;
      return this;
    }

    /** Evaluates after every n-th step (default 10). */
    public Builder optEvaluateEverySteps(int evaluateEverySteps) {
      this.evaluateEverySteps = evaluateEverySteps;
      return this;
    }

    /** Policy-gradient settings (default lr 5e-5, clip 0.2, no KL). */
    public Builder optTrainOptions(TrainOptions trainOptions) {
      this.trainOptions = trainOptions;
      return this;
    }

    /** PPO updates on each sampled batch (default 1: on-policy). */
    public Builder optUpdatesPerBatch(int updatesPerBatch) {
      this.updatesPerBatch = updatesPerBatch;
      return this;
    }

    /** Rollout temperature (default 1). */
    public Builder optTemperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Most tokens per trace (default 64). */
    public Builder optMaxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    /** Seed of the first training problem (default 0; held-out seeds start at 2^50). */
    public Builder optFirstPromptSeed(long firstPromptSeed) {
      this.firstPromptSeed = firstPromptSeed;
      return this;
    }

    /** Seed of the sampler (default 1). */
    public Builder optSamplingSeed(long samplingSeed) {
      this.samplingSeed = samplingSeed;
      return this;
    }

    /** Validates and builds. */
    public InProcessGrpoLoop build() {
      Objects.requireNonNull(task, "setTask(...) is required");
      Objects.requireNonNull(trainOptions, "trainOptions");
      if (promptsPerStep <= 0 || groupSize < 2) {
        throw new IllegalArgumentException(
            "need promptsPerStep >= 1 and groupSize >= 2 (a group of one has no baseline), got "
                + promptsPerStep
                + " and "
                + groupSize);
      }
      if (steps < 0 || evaluateEverySteps <= 0 || updatesPerBatch <= 0 || maxTokens <= 0) {
        throw new IllegalArgumentException(
            "steps must be >= 0 and evaluateEverySteps, updatesPerBatch, maxTokens positive");
      }
      if (!(temperature > 0)) {
        throw new IllegalArgumentException("temperature must be positive, got " + temperature);
      }
      return new InProcessGrpoLoop(this);
    }
  }
}
