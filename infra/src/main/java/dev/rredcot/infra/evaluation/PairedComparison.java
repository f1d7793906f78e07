package dev.rredcot.infra.evaluation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One arm against the baseline arm, seed by seed (both trained on the same prompts from the same
 * policy and evaluated on the same held-out set, so their differences are paired):
 *
 * <ul>
 *   <li>{@code rolloutsToTargetRatio}: Σ_s R_arm(s) / Σ_s R_base(s), where R is the rollouts to the
 *       target accuracy and a seed that never reached it counts as the whole budget (censored: a
 *       lower bound of its true cost, which pulls the ratio towards 1 when both arms miss);
 *   <li>{@code aucDiff}: mean over seeds of AUC_arm(s) − AUC_base(s) ({@link LearningMetrics#auc},
 *       in accuracy units).
 * </ul>
 *
 * Both come with a 95% percentile bootstrap interval over seeds (pairs resampled together).
 *
 * @param seeds seeds present in both arms
 * @param rolloutsToTargetRatio ratio of censored sums
 * @param ratioInterval its bootstrap interval
 * @param aucDiff mean paired AUC difference
 * @param aucDiffInterval its bootstrap interval
 */
public record PairedComparison(
    int seeds,
    double rolloutsToTargetRatio,
    BootstrapInterval ratioInterval,
    double aucDiff,
    BootstrapInterval aucDiffInterval) {

  /** The figures of one seed in both arms. */
  record SeedPair(double armRollouts, double baseRollouts, double armAuc, double baseAuc) {}

  /** Compares {@code arm} with {@code base}, pairing their curves by seed. */
  static PairedComparison of(
      List<LearningRun.Curve> arm,
      List<LearningRun.Curve> base,
      double target,
      long budget,
      int resamples,
      long seed) {
    Map<Integer, LearningRun.Curve> baseBySeed = new HashMap<>();
    for (LearningRun.Curve curve : base) {
      baseBySeed.put(curve.seed(), curve);
    }
    List<SeedPair> pairs = new ArrayList<>();
    for (LearningRun.Curve curve : arm) {
      LearningRun.Curve other = baseBySeed.get(curve.seed());
      if (other != null) {
        pairs.add(
            new SeedPair(
                censoredRollouts(curve, target, budget),
                censoredRollouts(other, target, budget),
                LearningMetrics.auc(curve.points(), budget),
                LearningMetrics.auc(other.points(), budget)));
      }
    }
    return new PairedComparison(
        pairs.size(),
        ratio(pairs),
        BootstrapInterval.of(pairs, PairedComparison::ratio, resamples, 0.95, seed),
        aucDiff(pairs),
        BootstrapInterval.of(pairs, PairedComparison::aucDiff, resamples, 0.95, seed + 1));
  }

  private static double censoredRollouts(LearningRun.Curve curve, double target, long budget) {
    long rollouts = LearningMetrics.rolloutsToTarget(curve.points(), target);
    return rollouts < 0 ? budget : rollouts;
  }

  static double ratio(List<SeedPair> pairs) {
    double arm = 0;
    double base = 0;
    for (SeedPair pair : pairs) {
      arm += pair.armRollouts();
      base += pair.baseRollouts();
    }
    return base > 0 ? arm / base : Double.NaN;
  }

  static double aucDiff(List<SeedPair> pairs) {
    if (pairs.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (SeedPair pair : pairs) {
      sum += pair.armAuc() - pair.baseAuc();
    }
    return sum / pairs.size();
  }
}
