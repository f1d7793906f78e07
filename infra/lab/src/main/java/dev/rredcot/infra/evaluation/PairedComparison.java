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
 *       in accuracy units);
 *   <li>{@code ceilingShare}, when a ceiling arm is named: the arm's share of the ceiling's gain,
 *       (mean AUC_arm − mean AUC_base) / (mean AUC_ceiling − mean AUC_base) over the seeds all
 *       three ran; undefined (NaN) when the ceiling gained nothing in a resample.
 * </ul>
 *
 * Each comes with a 95% percentile bootstrap interval over seeds (a seed's runs resampled
 * together).
 *
 * @param seeds seeds present in both arms
 * @param rolloutsToTargetRatio ratio of censored sums
 * @param ratioInterval its bootstrap interval
 * @param aucDiff mean paired AUC difference
 * @param aucDiffInterval its bootstrap interval
 * @param ceilingShare the share of the ceiling's AUC gain; null without a ceiling arm
 * @param ceilingShareInterval its bootstrap interval; null without a ceiling arm
 */
public record PairedComparison(
    int seeds,
    double rolloutsToTargetRatio,
    BootstrapInterval ratioInterval,
    double aucDiff,
    BootstrapInterval aucDiffInterval,
    Double ceilingShare,
    BootstrapInterval ceilingShareInterval) {

  /** The figures of one seed in both arms, and the ceiling's AUC (NaN without a ceiling). */
  record SeedPair(
      double armRollouts, double baseRollouts, double armAuc, double baseAuc, double ceilingAuc) {
    SeedPair(double armRollouts, double baseRollouts, double armAuc, double baseAuc) {
      this(armRollouts, baseRollouts, armAuc, baseAuc, Double.NaN);
    }
  }

  /**
   * Compares {@code arm} with {@code base}, pairing their curves by seed; with {@code ceiling}
   * (null: none) also the arm's share of the ceiling's gain, on the seeds all three ran.
   */
  static PairedComparison of(
      List<LearningRun.Curve> arm,
      List<LearningRun.Curve> base,
      List<LearningRun.Curve> ceiling,
      double target,
      long budget,
      int resamples,
      long seed) {
    Map<Integer, LearningRun.Curve> baseBySeed = bySeed(base);
    Map<Integer, LearningRun.Curve> ceilingBySeed = ceiling == null ? Map.of() : bySeed(ceiling);
    List<SeedPair> pairs = new ArrayList<>();
    List<SeedPair> withCeiling = new ArrayList<>();
    for (LearningRun.Curve curve : arm) {
      LearningRun.Curve other = baseBySeed.get(curve.seed());
      if (other == null) {
        continue;
      }
      LearningRun.Curve top = ceilingBySeed.get(curve.seed());
      SeedPair pair =
          new SeedPair(
              censoredRollouts(curve, target, budget),
              censoredRollouts(other, target, budget),
              LearningMetrics.auc(curve.points(), budget),
              LearningMetrics.auc(other.points(), budget),
              top == null ? Double.NaN : LearningMetrics.auc(top.points(), budget));
      pairs.add(pair);
      if (top != null) {
        withCeiling.add(pair);
      }
    }
    boolean share = ceiling != null && !withCeiling.isEmpty();
    return new PairedComparison(
        pairs.size(),
        ratio(pairs),
        BootstrapInterval.of(pairs, PairedComparison::ratio, resamples, 0.95, seed),
        aucDiff(pairs),
        BootstrapInterval.of(pairs, PairedComparison::aucDiff, resamples, 0.95, seed + 1),
        share ? ceilingShare(withCeiling) : null,
        share
            ? BootstrapInterval.of(
                withCeiling, PairedComparison::ceilingShare, resamples, 0.95, seed + 2)
            : null);
  }

  /** Compares without a ceiling arm. */
  static PairedComparison of(
      List<LearningRun.Curve> arm,
      List<LearningRun.Curve> base,
      double target,
      long budget,
      int resamples,
      long seed) {
    return of(arm, base, null, target, budget, resamples, seed);
  }

  private static Map<Integer, LearningRun.Curve> bySeed(List<LearningRun.Curve> curves) {
    Map<Integer, LearningRun.Curve> bySeed = new HashMap<>();
    for (LearningRun.Curve curve : curves) {
      bySeed.put(curve.seed(), curve);
    }
    return bySeed;
  }

  /**
   * (mean AUC_arm − mean AUC_base) / (mean AUC_ceiling − mean AUC_base); NaN when the ceiling's
   * mean gain is not positive.
   */
  static double ceilingShare(List<SeedPair> pairs) {
    double arm = 0;
    double ceiling = 0;
    for (SeedPair pair : pairs) {
      arm += pair.armAuc() - pair.baseAuc();
      ceiling += pair.ceilingAuc() - pair.baseAuc();
    }
    return ceiling > 0 ? arm / ceiling : Double.NaN;
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
