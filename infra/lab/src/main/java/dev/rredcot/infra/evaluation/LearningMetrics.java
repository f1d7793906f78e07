package dev.rredcot.infra.evaluation;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Figures of one method over its seeds: final held-out accuracy (mean and population standard
 * deviation), rollouts consumed until the held-out accuracy first reached the target (mean over the
 * seeds that reached it; the censored mean counts a seed that never did as the whole budget, a
 * lower bound), area under the curve and costs.
 *
 * @param finalAccuracyMean mean final sampled accuracy
 * @param finalAccuracyStd its standard deviation over seeds
 * @param finalGreedyAccuracyMean mean final greedy accuracy
 * @param rolloutsToTargetMean mean rollouts to target over seeds that reached it; NaN if none did
 * @param seedsReachingTarget how many seeds reached it
 * @param rolloutsToTargetCensoredMean mean with unreached seeds counted as the budget
 * @param scoringForwardTokensMean model tokens spent on credit (value scoring) per run
 * @param scoringCallsPerStepMean policy calls of the value scorer per training step, mean over
 *     seeds (0 for rules that score no values)
 * @param wallSecondsMean wall time per run
 * @param aucMean mean over seeds of {@link #auc}
 * @param trainingSecondsPerStepMean wall time per training step (sampling, credit, optimiser step;
 *     no evaluation), mean over seeds
 * @param meanAbsTokenAdvantage mean |advantage| per trained token, mean over steps and seeds: the
 *     scale of the rule's steps at the same learning rate ({@link
 *     LearningRun#meanAbsTokenAdvantage})
 * @param trainedRolloutShare share of generated rollouts in the trained batches (GRPO and the tilt
 *     drop groups whose rewards are all equal), mean over seeds
 * @param meanGradNorm global gradient norm of a step before the clip (a step with no batch counts
 *     0), mean over steps and seeds: above the clip, every rule's step has the clip's length
 * @param clippedStepShare share of steps whose gradient norm exceeded the clip, mean over seeds
 * @param refusedTraces traces the value scorer refused, by reason, over all seeds
 */
public record LearningMetrics(
    double finalAccuracyMean,
    double finalAccuracyStd,
    double finalGreedyAccuracyMean,
    double rolloutsToTargetMean,
    int seedsReachingTarget,
    double rolloutsToTargetCensoredMean,
    double scoringForwardTokensMean,
    double scoringCallsPerStepMean,
    double wallSecondsMean,
    double aucMean,
    double trainingSecondsPerStepMean,
    double meanAbsTokenAdvantage,
    double trainedRolloutShare,
    double meanGradNorm,
    double clippedStepShare,
    Map<String, Integer> refusedTraces) {

  static LearningMetrics of(List<LearningRun.Curve> curves, double target, long budget) {
    double[] finals = new double[curves.size()];
    double greedy = 0;
    double reachedSum = 0;
    int reached = 0;
    double censoredSum = 0;
    double tokens = 0;
    double callsPerStep = 0;
    double wall = 0;
    double auc = 0;
    double stepSeconds = 0;
    double absAdvantage = 0;
    double trainedShare = 0;
    double gradNorm = 0;
    double clippedShare = 0;
    Map<String, Integer> refused = new TreeMap<>();
    for (int i = 0; i < curves.size(); i++) {
      LearningRun.Curve curve = curves.get(i);
      List<LearningRun.CurvePoint> points = curve.points();
      finals[i] = points.get(points.size() - 1).sampledAccuracy();
      greedy += points.get(points.size() - 1).greedyAccuracy();
      long toTarget = rolloutsToTarget(points, target);
      if (toTarget >= 0) {
        reached++;
        reachedSum += toTarget;
        censoredSum += toTarget;
      } else {
        censoredSum += budget;
      }
      tokens += curve.scoringForwardTokens();
      callsPerStep += curve.scoringCallsPerStep();
      wall += curve.wallSeconds();
      auc += auc(points, budget);
      stepSeconds += curve.trainingSecondsPerStep();
      absAdvantage += curve.meanAbsTokenAdvantage();
      trainedShare += curve.trainedRolloutShare();
      gradNorm += curve.meanGradNorm();
      clippedShare += curve.clippedStepShare();
      curve.refusedTraces().forEach((reason, count) -> refused.merge(reason, count, Integer::sum));
    }
    int n = curves.size();
    double mean = 0;
    for (double value : finals) {
      mean += value;
    }
    mean /= n;
    double squares = 0;
    for (double value : finals) {
      squares += (value - mean) * (value - mean);
    }
    return new LearningMetrics(
        mean,
        Math.sqrt(squares / n),
        greedy / n,
        reached == 0 ? Double.NaN : reachedSum / reached,
        reached,
        censoredSum / n,
        tokens / n,
        callsPerStep / n,
        wall / n,
        auc / n,
        stepSeconds / n,
        absAdvantage / n,
        trainedShare / n,
        gradNorm / n,
        clippedShare / n,
        refused);
  }

  /**
   * Area under the sampled-accuracy curve against rollouts (trapezoids between evaluation points),
   * divided by {@code budget}: the mean held-out accuracy over training, which rewards learning
   * early as well as learning much.
   */
  static double auc(List<LearningRun.CurvePoint> points, long budget) {
    double area = 0;
    for (int i = 1; i < points.size(); i++) {
      LearningRun.CurvePoint before = points.get(i - 1);
      LearningRun.CurvePoint after = points.get(i);
      area +=
          (after.rollouts() - before.rollouts())
              * (before.sampledAccuracy() + after.sampledAccuracy())
              / 2;
    }
    return area / budget;
  }

  /** Rollouts at the first point at or above {@code target}, or −1. */
  static long rolloutsToTarget(List<LearningRun.CurvePoint> points, double target) {
    for (LearningRun.CurvePoint point : points) {
      if (point.sampledAccuracy() >= target) {
        return point.rollouts();
      }
    }
    return -1;
  }
}
