package dev.rredcot.pipelines.evaluation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learning against GRPO (METHOD.md "How it is judged"): from the same starting checkpoint and with
 * the same rollout budget, trains one policy per method ({@code grpo}, {@code rredcot-reweight},
 * {@code rredcot-dense}) and seed, in-process through the stages' own code (see {@link
 * LearningRun}), and measures held-out sampled accuracy against rollouts consumed. The target
 * accuracy is the starting accuracy plus {@code targetGainPoints} (default 10 points). Writes
 * {@code summary.json} ({@code methods.<name>.{final_accuracy_mean, final_accuracy_std,
 * rollouts_to_target_mean, ...}}, {@code target_accuracy}, {@code settings}) and {@code
 * report.html} (accuracy curves, min–max band over seeds).
 *
 * <p>Training and held-out prompts are those the shipped initial policy is measured on ({@link
 * PretrainOptions#INITIAL_POLICY_TASK}); seed s trains every method on the same prompt sequence and
 * the held-out set (from {@link HeldOutEvaluator}) is the same for every run.
 *
 * <p>Usage: {@code LearningEvaluation.main("--out", "/tmp/learning", "--seeds", "3",
 * "--rollouts-budget", "3072")}.
 */
public final class LearningEvaluation {
  private static final Logger LOG = LoggerFactory.getLogger(LearningEvaluation.class);

  private LearningEvaluation() {}

  /** The task trained and evaluated on: the initial policy's own ({@link PretrainOptions}). */
  public static ArithmeticTask task() {
    return new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
  }

  /** Runs every method and seed and writes the files. */
  public static LearningEvaluationResult run(LearningEvaluationOptions options) throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(options.outDir());
    Checkpoint checkpoint =
        StartingPolicy.resolve(options.checkpointStore(), options.initialPolicyStore());
    ArithmeticTask task = task();
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
            "learning steps ("
                + options.methods().size()
                + " methods x "
                + options.seeds()
                + " seeds)",
            (long) options.methods().size() * options.seeds() * options.steps(),
            15_000);
    Map<AdvantageRule, List<LearningRun.Curve>> curves = new LinkedHashMap<>();
    for (int seed = 1; seed <= options.seeds(); seed++) {
      for (AdvantageRule rule : options.methods()) {
        try (Policy policy = Policy.load(checkpoint)) {
          curves
              .computeIfAbsent(rule, r -> new ArrayList<>())
              .add(runner.run(policy, rule, seed, progress));
        }
      }
    }
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
    Map<String, LearningMetrics> metrics = new LinkedHashMap<>();
    for (Map.Entry<AdvantageRule, List<LearningRun.Curve>> method : curves.entrySet()) {
      metrics.put(
          method.getKey().optionValue(),
          LearningMetrics.of(
              method.getValue(),
              target,
              options.steps() * options.promptsPerStep() * options.groupSize()));
    }
    double wallSeconds = (System.nanoTime() - start) / 1e9;
    ObjectNode summary =
        summary(options, checkpoint, initial, target, metrics, curves, wallSeconds);
    Path summaryFile = options.outDir().resolve("summary.json");
    Path reportFile = options.outDir().resolve("report.html");
    SummaryJson.write(summary, summaryFile);
    Files.writeString(reportFile, LearningReport.html(summary));
    LOG.info(
        "learning evaluation done in {} s: {}, {}",
        Math.round(wallSeconds),
        summaryFile,
        reportFile);
    return new LearningEvaluationResult(summaryFile, reportFile, initial, target, metrics, summary);
  }

  private static ObjectNode summary(
      LearningEvaluationOptions options,
      Checkpoint checkpoint,
      double initial,
      double target,
      Map<String, LearningMetrics> metrics,
      Map<AdvantageRule, List<LearningRun.Curve>> curves,
      double wallSeconds) {
    ObjectNode summary = SummaryJson.object();
    summary.put("evaluation", "learning");
    summary.put("initial_accuracy", initial);
    summary.put("target_accuracy", target);
    summary.put(
        "target_accuracy_rule",
        "initial held-out sampled accuracy + " + options.targetGainPoints() + " (absolute)");
    ObjectNode methods = summary.putObject("methods");
    for (Map.Entry<String, LearningMetrics> entry : metrics.entrySet()) {
      LearningMetrics m = entry.getValue();
      ObjectNode node = methods.putObject(entry.getKey());
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
      node.put("scoring_forward_tokens_per_run", m.scoringForwardTokensMean());
      node.put("wall_seconds_per_run", m.wallSecondsMean());
      ObjectNode refused = node.putObject("refused_traces");
      m.refusedTraces().forEach(refused::put);
      ArrayNode runs = node.putArray("runs");
      for (LearningRun.Curve curve : curves.get(AdvantageRule.fromOption(entry.getKey()))) {
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
    ObjectNode settings = summary.putObject("settings");
    settings.put("checkpoint", checkpoint.dir().toString());
    settings.put("checkpoint_source", StartingPolicy.source(options.checkpointStore()));
    settings.put("seeds", options.seeds());
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
    settings.put("advantage_epsilon", options.advantageEpsilon());
    settings.put("segmentation", "hybrid");
    settings.put("target_segments", options.targetSegments());
    settings.put("value_estimator", "answer");
    settings.put("task", task().config().canonical());
    settings.put("max_tokens", options.maxTokens());
    settings.put("wall_seconds", wallSeconds);
    settings.put("available_processors", Runtime.getRuntime().availableProcessors());
    return summary;
  }

  /**
   * Command line: {@code --out DIR} (required), {@code --seeds N}, {@code --rollouts-budget N},
   * {@code --checkpoint-store DIR}, {@code --methods grpo,rredcot-reweight,rredcot-dense}, {@code
   * --learning-rate X}, {@code --evaluate-every N}, {@code --initial-policy-store DIR}.
   */
  public static void main(String[] args) throws IOException {
    LearningEvaluationOptions.Builder builder = LearningEvaluationOptions.builder();
    for (Map.Entry<String, String> flag : CommandLineFlags.parse(args).entrySet()) {
      String value = flag.getValue();
      switch (flag.getKey()) {
        case "out" -> builder.setOutDir(Path.of(value));
        case "seeds" -> builder.optSeeds(Integer.parseInt(value));
        case "rollouts-budget" -> builder.optRolloutBudget(Integer.parseInt(value));
        case "checkpoint-store" -> builder.optCheckpointStore(Path.of(value));
        case "learning-rate" -> builder.optLearningRate(Double.parseDouble(value));
        case "evaluate-every" -> builder.optEvaluateEverySteps(Integer.parseInt(value));
        case "initial-policy-store" -> builder.optInitialPolicyStore(Path.of(value));
        case "methods" -> {
          List<AdvantageRule> rules = new ArrayList<>();
          for (String name : value.split(",")) {
            rules.add(AdvantageRule.fromOption(name.trim()));
          }
          builder.optMethods(rules);
        }
        default ->
            throw new IllegalArgumentException(
                "unknown option --"
                    + flag.getKey()
                    + " (known: --out, --seeds, --rollouts-budget, --checkpoint-store, --methods,"
                    + " --learning-rate, --evaluate-every, --initial-policy-store)");
      }
    }
    run(builder.build());
  }
}
