package dev.rredcot.infra.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Fidelity and cost figures of one credit method over the evaluated traces: Spearman and Pearson
 * correlation of boundary values and of segment rewards with the ground truth (pooled over traces,
 * bootstrap intervals over traces), first-error localisation on wrong traces and cost per trace. A
 * figure that is undefined is NaN here and {@code null} with a reason in {@code summary.json}.
 *
 * @param valueSpearman Spearman of v_0..v_{K-1} with the truth
 * @param valueSpearmanCi its bootstrap interval
 * @param valuePearson Pearson of the values
 * @param valuePearsonCi its interval
 * @param rewardSpearman Spearman of the segment rewards with the truth's
 * @param rewardSpearmanCi its interval
 * @param rewardPearson Pearson of the segment rewards
 * @param rewardPearsonCi its interval
 * @param valueBias mean signed error of v_0..v_{K-1} against the truth (estimate minus truth,
 *     pooled): a bias the correlations do not see, and which the {@code rudder} rule's advantages
 *     (differences of values, summing to ζ − v_0 over a trace) do
 * @param valueBiasCi its bootstrap interval
 * @param startValueBias mean signed error of v_0 alone, the value at the prompt
 * @param startValueBiasCi its bootstrap interval
 * @param rewardBiasByPosition the segment rewards' signed error by where the segment sits ({@link
 *     RewardBiasByPosition#PARTS})
 * @param firstErrorTop1 share of wrong traces whose most negative segment holds the first wrong
 *     step
 * @param firstErrorTop1Relative the same share with segments ranked by their relative value drop
 *     ({@link FirstErrorLocalisation#relativeDrops}) instead of their reward
 * @param wrongTraces wrong traces the localisation was measured on
 * @param modelTokensPerRollout mean model forward tokens per scored trace
 * @param wallMsPerRollout mean wall time per scored trace
 * @param meanSegments mean segment count K
 * @param scoredRollouts traces with credit
 * @param failures failed traces by dead-letter reason
 */
public record CreditMetrics(
    double valueSpearman,
    BootstrapInterval valueSpearmanCi,
    double valuePearson,
    BootstrapInterval valuePearsonCi,
    double rewardSpearman,
    BootstrapInterval rewardSpearmanCi,
    double rewardPearson,
    BootstrapInterval rewardPearsonCi,
    double valueBias,
    BootstrapInterval valueBiasCi,
    double startValueBias,
    BootstrapInterval startValueBiasCi,
    List<RewardBiasByPosition> rewardBiasByPosition,
    double firstErrorTop1,
    double firstErrorTop1Relative,
    int wrongTraces,
    double modelTokensPerRollout,
    double wallMsPerRollout,
    double meanSegments,
    int scoredRollouts,
    Map<String, Integer> failures) {

  /** Computes the figures of {@code outcomes}; intervals from {@code resamples} resamples. */
  public static CreditMetrics of(List<TraceCreditOutcome> outcomes, int resamples, long seed) {
    List<TraceCreditOutcome> scored = new ArrayList<>();
    Map<String, Integer> failures = new TreeMap<>();
    for (TraceCreditOutcome outcome : outcomes) {
      if (outcome.scored()) {
        scored.add(outcome);
      } else {
        failures.merge(outcome.failureReason(), 1, Integer::sum);
      }
    }
    Map<String, Double> point = new LinkedHashMap<>();
    Map<String, BootstrapInterval> intervals = new LinkedHashMap<>();
    for (RankCorrelation.Kind kind : RankCorrelation.Kind.values()) {
      for (boolean rewards : new boolean[] {false, true}) {
        Function<TraceCreditOutcome, PairedSample> pairs =
            rewards ? TraceCreditOutcome::rewardPairs : TraceCreditOutcome::valuePairs;
        String key = kind + (rewards ? "-reward" : "-value");
        point.put(key, RankCorrelation.pooled(kind, scored.stream().map(pairs).toList()));
        intervals.put(
            key,
            BootstrapInterval.of(
                scored,
                sample -> RankCorrelation.pooled(kind, sample.stream().map(pairs).toList()),
                resamples,
                0.95,
                seed));
      }
    }
    ToDoubleFunction<List<TraceCreditOutcome>> valueBias =
        sample -> PairedSample.meanError(sample.stream().map(o -> o.valuePairs()).toList());
    ToDoubleFunction<List<TraceCreditOutcome>> startBias =
        sample -> PairedSample.meanError(sample.stream().map(o -> o.valuePairs().first()).toList());
    int wrong = 0;
    int hits = 0;
    int relativeHits = 0;
    long tokens = 0;
    double wallMs = 0;
    long segments = 0;
    for (TraceCreditOutcome outcome : scored) {
      tokens += outcome.forwardTokens();
      wallMs += outcome.wallMs();
      segments += outcome.boundaries().length - 1;
      if (outcome.trace().correct()) {
        continue;
      }
      OptionalInt firstWrong = firstWrongLine(outcome.trace());
      if (firstWrong.isEmpty()) {
        continue;
      }
      wrong++;
      if (FirstErrorLocalisation.hit(
          outcome.rewards(),
          outcome.charBoundaries(),
          outcome.trace().rollout().getText(),
          firstWrong.getAsInt())) {
        hits++;
      }
      if (FirstErrorLocalisation.hit(
          FirstErrorLocalisation.relativeDrops(
              withReward(outcome), FirstErrorLocalisation.RELATIVE_FLOOR),
          outcome.charBoundaries(),
          outcome.trace().rollout().getText(),
          firstWrong.getAsInt())) {
        relativeHits++;
      }
    }
    int n = scored.size();
    return new CreditMetrics(
        point.get("SPEARMAN-value"),
        intervals.get("SPEARMAN-value"),
        point.get("PEARSON-value"),
        intervals.get("PEARSON-value"),
        point.get("SPEARMAN-reward"),
        intervals.get("SPEARMAN-reward"),
        point.get("PEARSON-reward"),
        intervals.get("PEARSON-reward"),
        valueBias.applyAsDouble(scored),
        BootstrapInterval.of(scored, valueBias, resamples, 0.95, seed),
        startBias.applyAsDouble(scored),
        BootstrapInterval.of(scored, startBias, resamples, 0.95, seed),
        RewardBiasByPosition.of(scored, resamples, seed),
        wrong == 0 ? Double.NaN : hits / (double) wrong,
        wrong == 0 ? Double.NaN : relativeHits / (double) wrong,
        wrong,
        n == 0 ? Double.NaN : tokens / (double) n,
        n == 0 ? Double.NaN : wallMs / n,
        n == 0 ? Double.NaN : segments / (double) n,
        n,
        failures);
  }

  /** The method's values v_0..v_{K-1} followed by the trace's reward, v_K. */
  private static double[] withReward(TraceCreditOutcome outcome) {
    double[] values = Arrays.copyOf(outcome.values(), outcome.values().length + 1);
    values[values.length - 1] = outcome.trace().rollout().getReward();
    return values;
  }

  /**
   * The line where a wrong trace was lost (a step, or the answer line): the task's localisation
   * truth (first wrong line for arithmetic, first doomed line for countdown).
   */
  static OptionalInt firstWrongLine(EvaluationTrace trace) {
    return trace.lostAt();
  }
}
