package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.TaskFamily;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learning against GRPO (docs/METHOD.md "How it is judged"): from the same starting checkpoint and
 * with the same rollout budget, trains one policy per arm ({@link LearningArm}: {@code grpo} and
 * {@code <rule>:<values>}, e.g. {@code rudder:bank} or the ceiling {@code rudder:reach*mc16}) and
 * seed, in-process through the stages' own code (see {@link LearningRun}), and measures held-out
 * sampled and greedy accuracy against rollouts consumed. The target accuracy is the starting
 * accuracy plus {@code targetGainPoints} (default 10 points). Every arm is compared with GRPO seed
 * by seed ({@link PairedComparison}). Writes {@code summary.json} ({@code
 * methods.<name>.{final_accuracy_mean, final_accuracy_std, rollouts_to_target_mean, auc_mean,
 * wall_s_per_step, ...}}, {@code comparisons.<name>_vs_grpo.{rollouts_to_target_ratio, ratio_ci,
 * auc_diff, auc_diff_ci, ceiling_share, ceiling_share_ci}}, {@code ceiling_arm}, {@code
 * target_accuracy}, {@code seeds}, {@code settings}) and {@code report.html} (accuracy curves,
 * min–max band over seeds).
 *
 * <p>Training and held-out prompts are those the shipped initial policy is measured on ({@link
 * PretrainOptions#INITIAL_POLICY_TASK}, or the countdown policy's with {@code task = countdown});
 * seed s trains every method on the same prompt sequence and the held-out set (from {@link
 * HeldOutEvaluator}) is the same for every run.
 *
 * <p>Usage: {@code ./rredcot eval learning --out /tmp/learning --seeds 8}, or {@code
 * LearningEvaluation.run(LearningEvaluationOptions.builder().setOutDir(dir).build())}.
 */
public final class LearningEvaluation {
  private static final Logger LOG = LoggerFactory.getLogger(LearningEvaluation.class);

  private LearningEvaluation() {}

  /** Runs every method and seed and writes the files. */
  public static LearningEvaluationResult run(LearningEvaluationOptions options) throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(options.outDir());
    Checkpoint checkpoint =
        StartingPolicy.resolve(
            options.checkpointStore(), options.initialPolicyStore(), options.task());
    TaskFamily task = options.trainedTask();
    HeldOutEvaluator evaluator =
        HeldOutEvaluator.builder()
            .setTask(task)
            .optPrompts(options.evalPrompts())
            .optSamplesPerPrompt(options.evalSamplesPerPrompt())
            .build();
    LearningRun runner =
        new LearningRun(options, task, evaluator, checkpoint.dir().getParent().toString());
    ProgressLog progress =
        new ProgressLog(
            LOG,
            "learning steps (" + options.arms().size() + " arms x " + options.seeds() + " seeds)",
            (long) options.arms().size() * options.seeds() * options.steps(),
            15_000);
    Map<String, List<LearningRun.Curve>> curves = trainAll(options, checkpoint, runner, progress);
    double initial = 0;
    int runs = 0;
    for (List<LearningRun.Curve> methodCurves : curves.values()) {
      for (LearningRun.Curve curve : methodCurves) {
        initial += curve.points().get(0).sampledAccuracy();
        runs++;
      }
    }
    initial /= runs;
    double target = initial + options.targetGainPoints();
    long budget = (long) options.steps() * options.promptsPerStep() * options.groupSize();
    Map<String, LearningMetrics> metrics = new LinkedHashMap<>();
    for (Map.Entry<String, List<LearningRun.Curve>> arm : curves.entrySet()) {
      metrics.put(arm.getKey(), LearningMetrics.of(arm.getValue(), target, budget));
    }
    Map<String, PairedComparison> comparisons = new LinkedHashMap<>();
    List<LearningRun.Curve> baseline = curves.get(LearningArm.BASELINE);
    List<LearningRun.Curve> ceiling = options.ceilingArm().map(curves::get).orElse(null);
    if (baseline != null) {
      for (Map.Entry<String, List<LearningRun.Curve>> arm : curves.entrySet()) {
        if (!arm.getKey().equals(LearningArm.BASELINE)) {
          comparisons.put(
              arm.getKey() + "_vs_" + LearningArm.BASELINE,
              PairedComparison.of(
                  arm.getValue(),
                  baseline,
                  ceiling,
                  target,
                  budget,
                  options.bootstrapResamples(),
                  options.seeds()));
        }
      }
    }
    double wallSeconds = (System.nanoTime() - start) / 1e9;
    ObjectNode summary =
        summary(options, checkpoint, initial, target, metrics, comparisons, curves, wallSeconds);
    addBaselineMatch(summary, curves, budget, options.bootstrapResamples(), options.seeds());
    Path summaryFile = options.outDir().resolve("summary.json");
    Path reportFile = options.outDir().resolve("report.html");
    SummaryJson.write(summary, summaryFile);
    Files.writeString(reportFile, LearningReport.html(summary));
    LOG.info(
        "learning evaluation done in {} s: {}, {}",
        Math.round(wallSeconds),
        summaryFile,
        reportFile);
    return new LearningEvaluationResult(
        summaryFile, reportFile, initial, target, metrics, comparisons, summary);
  }

  /**
   * Settings two runs must share for one's curves to pair seed by seed with the other's: the
   * starting policy, task, prompts, budget, evaluation points and training settings.
   */
  static final List<String> PAIRING_SETTINGS =
      List.of(
          "checkpoint_source",
          "task",
          "seeds",
          "rollouts_used",
          "steps",
          "prompts_per_step",
          "group_size",
          "evaluate_every_steps",
          "eval_prompts",
          "eval_samples_per_prompt",
          "learning_rate",
          "max_tokens",
          "segmentation",
          "target_segments");

  /**
   * Adds to an earlier run's {@code summary.json} in {@code outDir} what this code computes from
   * its curves and older code did not ({@link #addBaselineMatch}), and writes {@code report.html}
   * again; nothing is trained, and the other figures stay as they were.
   *
   * @return the summary file
   */
  public static Path recompare(Path outDir) throws IOException {
    return recompare(outDir, null, null);
  }

  /**
   * {@link #recompare(Path)}, and, with {@code ceilingRun} set, the ceiling arm {@code ceilingArm}
   * taken from another run's summary in that directory: its method entry is copied (marked {@code
   * from_run}), it is compared with this run's GRPO, and every other arm's {@code ceiling_share} is
   * computed against it. The other run must have every {@link #PAIRING_SETTINGS} equal, so its
   * seeds pair with this run's (the arms of one run pair exactly; across runs, float rounding in
   * training makes a repeated arm differ slightly, which this run's own GRPO against the other's
   * shows).
   *
   * @throws IllegalArgumentException if the runs' settings differ or the arm is missing
   */
  public static Path recompare(Path outDir, Path ceilingRun, String ceilingArm) throws IOException {
    Path summaryFile = outDir.resolve("summary.json");
    ObjectNode summary = (ObjectNode) SummaryJson.read(summaryFile);
    Map<String, List<LearningRun.Curve>> curves = curves(summary);
    JsonNode settings = summary.get("settings");
    long budget = settings.get("rollouts_used").asLong();
    int resamples = settings.get("bootstrap_resamples").asInt();
    int seeds = settings.get("seeds").asInt();
    addBaselineMatch(summary, curves, budget, resamples, seeds);
    if (ceilingRun != null) {
      JsonNode other = SummaryJson.read(ceilingRun.resolve("summary.json"));
      for (String key : PAIRING_SETTINGS) {
        if (!settings.path(key).equals(other.get("settings").path(key))) {
          throw new IllegalArgumentException(
              "the runs do not pair: setting "
                  + key
                  + " is "
                  + settings.path(key)
                  + " here and "
                  + other.get("settings").path(key)
                  + " in "
                  + ceilingRun);
        }
      }
      List<LearningRun.Curve> ceiling = curves(other).get(ceilingArm);
      if (ceiling == null) {
        throw new IllegalArgumentException("no arm " + ceilingArm + " in " + ceilingRun);
      }
      addBorrowedCeiling(summary, curves, ceilingArm, ceiling, other, ceilingRun);
    }
    SummaryJson.write(summary, summaryFile);
    Files.writeString(outDir.resolve("report.html"), LearningReport.html(summary));
    return summaryFile;
  }

  private static void addBorrowedCeiling(
      ObjectNode summary,
      Map<String, List<LearningRun.Curve>> curves,
      String ceilingArm,
      List<LearningRun.Curve> ceiling,
      JsonNode other,
      Path ceilingRun) {
    JsonNode settings = summary.get("settings");
    long budget = settings.get("rollouts_used").asLong();
    int resamples = settings.get("bootstrap_resamples").asInt();
    int seeds = settings.get("seeds").asInt();
    double target = summary.get("target_accuracy").asDouble();
    List<LearningRun.Curve> baseline = curves.get(LearningArm.BASELINE);
    if (baseline == null) {
      throw new IllegalArgumentException("a borrowed ceiling needs a grpo arm in this run");
    }
    ObjectNode methods = (ObjectNode) summary.get("methods");
    ObjectNode borrowed = ((ObjectNode) other.get("methods").get(ceilingArm)).deepCopy();
    borrowed.put("from_run", ceilingRun.toString());
    methods.set(ceilingArm, borrowed);
    Map<String, List<LearningRun.Curve>> arms = new LinkedHashMap<>(curves);
    arms.put(ceilingArm, ceiling);
    ObjectNode comparisons = (ObjectNode) summary.get("comparisons");
    for (Map.Entry<String, List<LearningRun.Curve>> arm : arms.entrySet()) {
      if (arm.getKey().equals(LearningArm.BASELINE)) {
        continue;
      }
      PairedComparison c =
          PairedComparison.of(arm.getValue(), baseline, ceiling, target, budget, resamples, seeds);
      String name = arm.getKey() + "_vs_" + LearningArm.BASELINE;
      ObjectNode node =
          comparisons.has(name) ? (ObjectNode) comparisons.get(name) : comparisons.putObject(name);
      writeComparison(node, c);
    }
    summary.put("ceiling_arm", ceilingArm);
    summary.put("ceiling_run", ceilingRun.toString());
    addBaselineMatch(summary, arms, budget, resamples, seeds);
  }

  /** A comparison's fields in {@code node}; the ceiling share only where there is a ceiling. */
  private static void writeComparison(ObjectNode node, PairedComparison c) {
    node.put("seeds", c.seeds());
    SummaryJson.number(
        node, "rollouts_to_target_ratio", c.rolloutsToTargetRatio(), "baseline never reached");
    SummaryJson.interval(node, "ratio_ci", c.ratioInterval());
    node.put("auc_diff", c.aucDiff());
    SummaryJson.interval(node, "auc_diff_ci", c.aucDiffInterval());
    if (c.ceilingShare() != null) {
      SummaryJson.number(
          node,
          "ceiling_share",
          c.ceilingShare(),
          "the ceiling gained nothing over grpo (share undefined)");
      SummaryJson.interval(node, "ceiling_share_ci", c.ceilingShareInterval());
    }
  }

  /** Each arm's stored curves; only the curve is stored per run, and comparisons read no more. */
  private static Map<String, List<LearningRun.Curve>> curves(JsonNode summary) {
    Map<String, List<LearningRun.Curve>> curves = new LinkedHashMap<>();
    summary
        .get("methods")
        .fields()
        .forEachRemaining(
            method -> {
              LearningArm arm = LearningArm.parse(method.getKey());
              List<LearningRun.Curve> runs = new ArrayList<>();
              for (JsonNode run : method.getValue().get("runs")) {
                List<LearningRun.CurvePoint> points = new ArrayList<>();
                for (JsonNode point : run.get("curve")) {
                  points.add(
                      new LearningRun.CurvePoint(
                          point.get("rollouts").asLong(),
                          point.get("sampled_accuracy").asDouble(),
                          point.get("greedy_accuracy").asDouble()));
                }
                runs.add(
                    new LearningRun.Curve(
                        arm, run.get("seed").asInt(), points, Map.of(), 0, 0, 0, 0, 0, 0, 0, 0));
              }
              curves.put(method.getKey(), runs);
            });
    return curves;
  }

  /**
   * Adds the rollouts each arm needs to reach what GRPO reaches with the whole budget: {@code
   * baseline_final_accuracy} (GRPO's final held-out sampled accuracy, mean over seeds) and, per
   * comparison, {@code rollouts_to_baseline_final_ratio} with {@code baseline_final_ratio_ci}, the
   * rollouts-to-target ratio of {@link PairedComparison} with that accuracy as the target (censored
   * at the budget, as the fixed target is). The fixed target reads "fewer rollouts" only when the
   * arms reach it; this one is reached by GRPO on about half its seeds by construction, so it reads
   * sample efficiency on any budget.
   */
  static void addBaselineMatch(
      ObjectNode summary,
      Map<String, List<LearningRun.Curve>> curves,
      long budget,
      int resamples,
      long seed) {
    List<LearningRun.Curve> baseline = curves.get(LearningArm.BASELINE);
    if (baseline == null) {
      return;
    }
    // GRPO's final_accuracy_mean, as its metrics compute it (the target does not enter it).
    double finalAccuracy = LearningMetrics.of(baseline, 1, budget).finalAccuracyMean();
    summary.put("baseline_final_accuracy", finalAccuracy);
    ObjectNode comparisons = (ObjectNode) summary.get("comparisons");
    for (Map.Entry<String, List<LearningRun.Curve>> arm : curves.entrySet()) {
      if (arm.getKey().equals(LearningArm.BASELINE)) {
        continue;
      }
      PairedComparison match =
          PairedComparison.of(arm.getValue(), baseline, finalAccuracy, budget, resamples, seed);
      ObjectNode node = (ObjectNode) comparisons.get(arm.getKey() + "_vs_" + LearningArm.BASELINE);
      SummaryJson.number(
          node,
          "rollouts_to_baseline_final_ratio",
          match.rolloutsToTargetRatio(),
          "baseline never reached");
      SummaryJson.interval(node, "baseline_final_ratio_ci", match.ratioInterval());
    }
  }

  /**
   * Trains every arm for every seed, {@code options.workers()} runs at a time (seed-major order, so
   * the arms of one seed run side by side and share the machine's load); curves by arm name, in
   * seed order.
   */
  private static Map<String, List<LearningRun.Curve>> trainAll(
      LearningEvaluationOptions options,
      Checkpoint checkpoint,
      LearningRun runner,
      ProgressLog progress)
      throws IOException {
    LearningRun.CurvePoint initial;
    try (Policy policy = Policy.load(checkpoint)) {
      initial = runner.initialPoint(policy);
    }
    List<Callable<LearningRun.Curve>> runs = new ArrayList<>();
    for (int seed = 1; seed <= options.seeds(); seed++) {
      for (LearningArm arm : options.arms()) {
        int runSeed = seed;
        runs.add(
            () -> {
              try (Policy policy = Policy.load(checkpoint)) {
                return runner.run(policy, arm, runSeed, initial, progress);
              }
            });
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.workers(), runs.size()));
    Map<String, List<LearningRun.Curve>> curves = new LinkedHashMap<>();
    try {
      for (Future<LearningRun.Curve> run : pool.invokeAll(runs)) {
        LearningRun.Curve curve = run.get();
        curves.computeIfAbsent(curve.arm().name(), name -> new ArrayList<>()).add(curve);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("learning evaluation interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("a learning run failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return curves;
  }

  private static ObjectNode summary(
      LearningEvaluationOptions options,
      Checkpoint checkpoint,
      double initial,
      double target,
      Map<String, LearningMetrics> metrics,
      Map<String, PairedComparison> comparisons,
      Map<String, List<LearningRun.Curve>> curves,
      double wallSeconds) {
    ObjectNode summary = SummaryJson.object();
    summary.put("evaluation", "learning");
    summary.put("initial_accuracy", initial);
    summary.put("target_accuracy", target);
    summary.put(
        "target_accuracy_rule",
        "initial held-out sampled accuracy + " + options.targetGainPoints() + " (absolute)");
    summary.put("seeds", options.seeds());
    ObjectNode methods = summary.putObject("methods");
    for (Map.Entry<String, LearningMetrics> entry : metrics.entrySet()) {
      LearningMetrics m = entry.getValue();
      ObjectNode node = methods.putObject(entry.getKey());
      node.put("arm", curves.get(entry.getKey()).get(0).arm().description());
      node.put("final_accuracy_mean", m.finalAccuracyMean());
      node.put("final_accuracy_std", m.finalAccuracyStd());
      SummaryJson.number(
          node,
          "rollouts_to_target_mean",
          m.rolloutsToTargetMean(),
          "no seed reached the target accuracy within the budget");
      node.put("seeds_reaching_target", m.seedsReachingTarget());
      node.put("rollouts_to_target_mean_censored", m.rolloutsToTargetCensoredMean());
      node.put("final_greedy_accuracy_mean", m.finalGreedyAccuracyMean());
      node.put("auc_mean", m.aucMean());
      node.put("wall_s_per_step", m.trainingSecondsPerStepMean());
      node.put("mean_abs_token_advantage", m.meanAbsTokenAdvantage());
      node.put("trained_rollout_share", m.trainedRolloutShare());
      node.put("mean_grad_norm", m.meanGradNorm());
      node.put("clipped_step_share", m.clippedStepShare());
      node.put("scoring_forward_tokens_per_run", m.scoringForwardTokensMean());
      node.put("scoring_calls_per_step", m.scoringCallsPerStepMean());
      node.put("wall_seconds_per_run", m.wallSecondsMean());
      ObjectNode refused = node.putObject("refused_traces");
      m.refusedTraces().forEach(refused::put);
      ArrayNode runs = node.putArray("runs");
      for (LearningRun.Curve curve : curves.get(entry.getKey())) {
        ObjectNode run = runs.addObject();
        run.put("seed", curve.seed());
        ArrayNode points = run.putArray("curve");
        for (LearningRun.CurvePoint point : curve.points()) {
          ObjectNode p = points.addObject();
          p.put("rollouts", point.rollouts());
          p.put("sampled_accuracy", point.sampledAccuracy());
          p.put("greedy_accuracy", point.greedyAccuracy());
        }
      }
    }
    ObjectNode pairs = summary.putObject("comparisons");
    for (Map.Entry<String, PairedComparison> entry : comparisons.entrySet()) {
      writeComparison(pairs.putObject(entry.getKey()), entry.getValue());
    }
    options.ceilingArm().ifPresent(name -> summary.put("ceiling_arm", name));
    ObjectNode settings = summary.putObject("settings");
    settings.put("checkpoint", checkpoint.dir().toString());
    settings.put(
        "checkpoint_source", StartingPolicy.source(options.checkpointStore(), options.task()));
    settings.put("seeds", options.seeds());
    settings.put("bootstrap_resamples", options.bootstrapResamples());
    settings.put("workers", options.workers());
    settings.put("rollout_budget", options.rolloutBudget());
    settings.put("rollouts_used", options.steps() * options.promptsPerStep() * options.groupSize());
    settings.put("steps", options.steps());
    settings.put("prompts_per_step", options.promptsPerStep());
    settings.put("group_size", options.groupSize());
    settings.put("evaluate_every_steps", options.evaluateEverySteps());
    settings.put("eval_prompts", options.evalPrompts());
    settings.put("eval_samples_per_prompt", options.evalSamplesPerPrompt());
    settings.put("learning_rate", options.learningRate());
    settings.put("reweight_strength", options.reweightStrength());
    settings.put("value_scale", options.valueScale());
    settings.put("grpo_mix", options.grpoMix());
    settings.put("advantage_epsilon", options.advantageEpsilon());
    settings.put("segmentation", "hybrid");
    settings.put("target_segments", options.targetSegments());
    ArrayNode arms = settings.putArray("arms");
    for (LearningArm arm : options.arms()) {
      arms.addObject().put("name", arm.name()).put("feeds", arm.description());
    }
    settings.put("task", options.taskName());
    settings.put("max_tokens", options.maxTokens());
    settings.put("wall_seconds", wallSeconds);
    settings.put("available_processors", Runtime.getRuntime().availableProcessors());
    return summary;
  }
}
