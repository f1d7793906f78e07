package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The layout of the credit evaluation's {@code summary.json}, fixed so results compare across
 * versions: {@code methods.<name>.{value_spearman, value_spearman_ci, value_pearson,
 * value_pearson_ci, reward_spearman, reward_spearman_ci, reward_pearson, reward_pearson_ci,
 * value_bias, value_bias_ci, start_value_bias, start_value_bias_ci, reward_bias_by_position (an
 * object: per part of {@link RewardBiasByPosition#PARTS}, {bias, bias_ci, segments}),
 * first_error_top1, first_error_top1_relative, first_error_wrong_traces, model_tokens_per_rollout,
 * wall_ms_per_rollout, mean_segments, scored_rollouts, failures}}, {@code ground_truth}, {@code
 * ablations.segmentation.<strategy>}, {@code ablations.target_segments.<K>}, {@code rollouts} (the
 * mix) and {@code settings}.
 */
public final class CreditSummary {
  /** Fields every method entry has (numbers, intervals or null with a reason). */
  public static final List<String> METHOD_FIELDS =
      List.of(
          "value_spearman",
          "value_spearman_ci",
          "value_pearson",
          "value_pearson_ci",
          "reward_spearman",
          "reward_spearman_ci",
          "reward_pearson",
          "reward_pearson_ci",
          "value_bias",
          "value_bias_ci",
          "start_value_bias",
          "start_value_bias_ci",
          "reward_bias_by_position",
          "first_error_top1",
          "first_error_top1_relative",
          "model_tokens_per_rollout",
          "wall_ms_per_rollout");

  private CreditSummary() {}

  /** The summary of one run. */
  static ObjectNode build(
      CreditEvaluationOptions options,
      Checkpoint checkpoint,
      List<EvaluationTrace> traces,
      int ablationRollouts,
      Map<String, CreditMetrics> methods,
      CreditMetrics groundTruth,
      double truthTokensPerRollout,
      double truthMsPerRollout,
      long truthContinuations,
      Map<String, CreditMetrics> strategyAblation,
      Map<String, CreditMetrics> targetAblation,
      double wallSeconds) {
    ObjectNode summary = SummaryJson.object();
    summary.put("evaluation", "credit");
    ObjectNode methodsNode = summary.putObject("methods");
    for (Map.Entry<String, CreditMetrics> method : methods.entrySet()) {
      metrics(methodsNode.putObject(method.getKey()), method.getValue());
    }
    ObjectNode truthNode = summary.putObject("ground_truth");
    truthNode.put("mc_samples", options.mcTruthSamples());
    SummaryJson.number(
        truthNode,
        "first_error_top1",
        groundTruth.firstErrorTop1(),
        "no wrong trace with a locatable first wrong step");
    SummaryJson.number(
        truthNode,
        "first_error_top1_relative",
        groundTruth.firstErrorTop1Relative(),
        "no wrong trace with a locatable first wrong step");
    truthNode.put("first_error_wrong_traces", groundTruth.wrongTraces());
    SummaryJson.number(truthNode, "model_tokens_per_rollout", truthTokensPerRollout, "no rollouts");
    SummaryJson.number(truthNode, "wall_ms_per_rollout", truthMsPerRollout, "no rollouts");
    truthNode.put("continuations_sampled", truthContinuations);
    ObjectNode ablations = summary.putObject("ablations");
    ablations.put("method", "rredcot-answer");
    ablations.put("rollouts", ablationRollouts);
    ObjectNode strategies = ablations.putObject("segmentation");
    for (Map.Entry<String, CreditMetrics> variant : strategyAblation.entrySet()) {
      metrics(strategies.putObject(variant.getKey()), variant.getValue());
    }
    ObjectNode targets = ablations.putObject("target_segments");
    for (Map.Entry<String, CreditMetrics> variant : targetAblation.entrySet()) {
      metrics(targets.putObject(variant.getKey()), variant.getValue());
    }
    ObjectNode mix = summary.putObject("rollouts");
    mix.put("total", traces.size());
    mix.put("correct", traces.stream().filter(EvaluationTrace::correct).count());
    ObjectNode byLevel = mix.putObject("by_steps");
    for (int level : options.levels()) {
      ObjectNode levelNode = byLevel.putObject(Integer.toString(level));
      levelNode.put("total", traces.stream().filter(t -> t.steps() == level).count());
      levelNode.put(
          "correct", traces.stream().filter(t -> t.steps() == level && t.correct()).count());
    }
    ObjectNode settings = summary.putObject("settings");
    settings.put("checkpoint", checkpoint.dir().toString());
    settings.put("checkpoint_version", checkpoint.version());
    settings.put(
        "checkpoint_source", StartingPolicy.source(options.checkpointStore(), options.task()));
    settings.put("task", options.task().familyName());
    options.countdownLevel().ifPresent(level -> settings.put("countdown_level", level));
    settings.put("mix", options.naturalMix() ? "natural" : "balanced");
    settings.put("localisation_truth", options.task().localisationName());
    settings.put("rollouts", options.rollouts());
    ArrayNode levels = settings.putArray("levels_steps");
    options.levels().forEach(levels::add);
    settings.put("group_size", options.groupSize());
    settings.put("mc_truth_samples", options.mcTruthSamples());
    ArrayNode small = settings.putArray("small_mc_samples");
    options.smallMcSamples().forEach(small::add);
    settings.put("max_tokens", options.maxTokens());
    settings.put("temperature", 1.0);
    settings.put("segmentation", CreditEvaluation.MAIN_SEGMENTATION);
    settings.put("target_segments", options.targetSegments());
    settings.put("fixed_tokens", options.fixedTokens());
    settings.put("bootstrap_resamples", options.bootstrapResamples());
    settings.put("bootstrap_level", 0.95);
    settings.put("seed", options.seed());
    settings.put(
        "value_pairs",
        "v_0..v_{K-1} of every rollout pooled (the terminal value is the reward for every method)");
    settings.put("wall_seconds", wallSeconds);
    settings.put("available_processors", Runtime.getRuntime().availableProcessors());
    return summary;
  }

  private static void metrics(ObjectNode node, CreditMetrics metrics) {
    String undefined = "undefined: constant values on one side or fewer than two pairs";
    SummaryJson.number(node, "value_spearman", metrics.valueSpearman(), undefined);
    SummaryJson.interval(node, "value_spearman_ci", metrics.valueSpearmanCi());
    SummaryJson.number(node, "value_pearson", metrics.valuePearson(), undefined);
    SummaryJson.interval(node, "value_pearson_ci", metrics.valuePearsonCi());
    SummaryJson.number(node, "reward_spearman", metrics.rewardSpearman(), undefined);
    SummaryJson.interval(node, "reward_spearman_ci", metrics.rewardSpearmanCi());
    SummaryJson.number(node, "reward_pearson", metrics.rewardPearson(), undefined);
    SummaryJson.interval(node, "reward_pearson_ci", metrics.rewardPearsonCi());
    SummaryJson.number(node, "value_bias", metrics.valueBias(), "no scored rollouts");
    SummaryJson.interval(node, "value_bias_ci", metrics.valueBiasCi());
    SummaryJson.number(node, "start_value_bias", metrics.startValueBias(), "no scored rollouts");
    SummaryJson.interval(node, "start_value_bias_ci", metrics.startValueBiasCi());
    ObjectNode byPosition = node.putObject("reward_bias_by_position");
    for (RewardBiasByPosition part : metrics.rewardBiasByPosition()) {
      ObjectNode partNode = byPosition.putObject(part.part());
      SummaryJson.number(partNode, "bias", part.bias(), "no segments in this part");
      SummaryJson.interval(partNode, "bias_ci", part.ci());
      partNode.put("segments", part.pairs());
    }
    SummaryJson.number(
        node,
        "first_error_top1",
        metrics.firstErrorTop1(),
        "no scored wrong trace with a locatable first wrong step");
    SummaryJson.number(
        node,
        "first_error_top1_relative",
        metrics.firstErrorTop1Relative(),
        "no scored wrong trace with a locatable first wrong step");
    node.put("first_error_wrong_traces", metrics.wrongTraces());
    SummaryJson.number(
        node, "model_tokens_per_rollout", metrics.modelTokensPerRollout(), "no scored rollouts");
    SummaryJson.number(
        node, "wall_ms_per_rollout", metrics.wallMsPerRollout(), "no scored rollouts");
    SummaryJson.number(node, "mean_segments", metrics.meanSegments(), "no scored rollouts");
    node.put("scored_rollouts", metrics.scoredRollouts());
    ObjectNode failures = node.putObject("failures");
    metrics.failures().forEach(failures::put);
  }

  /** Writes the summary. */
  static void write(ObjectNode summary, Path file) throws IOException {
    SummaryJson.write(summary, file);
  }
}
