package dev.rredcot.pipelines.advantage;

import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.grpo.GroupStatistics;
import java.io.Serializable;

/**
 * Per-token policy-gradient coefficients for one trace (METHOD.md §4). Pure functions of the
 * trace's reward, segment boundaries, state values and segment rewards and its group's statistics.
 *
 * <p>With GRPO's group advantage {@code A_i = (ζ_i − mean) / (std + ε)} ({@link
 * GroupAdvantages#advantage}, 0 for a group whose rewards are all equal):
 *
 * <ul>
 *   <li>{@code grpo}: {@code A_{i,t} = A_i}.
 *   <li>{@code rredcot-reweight}, the <em>exponential tilt</em>: {@code A_{i,t} = A_i · σ_{k(t)}}
 *       with {@code σ_k = T · exp(β·sign(A_i)·r_k) / Σ_j n_j·exp(β·sign(A_i)·r_j)}, where n_j is
 *       the token count of segment j and β ≥ 0 the strength. σ is positive, its token-weighted mean
 *       is exactly 1 (so Σ_t A_{i,t} = T·A_i and the sign of A_i is kept), and for a trace with A_i
 *       &gt; 0 segments that raised the value (r_k &gt; 0) weigh more, for A_i &lt; 0 segments that
 *       lowered it. β = 0 or a single segment gives GRPO.
 *   <li>{@code rredcot-dense}: every token of segment k gets {@code (G_k + v_0 − mean) / (std + ε)}
 *       where {@code G_k = Σ_{j≥k} r_j = ζ − v_{k−1}} is the segment's return-to-go. The group term
 *       {@code v_0 − mean} is the same for every trace of a group (same prompt and policy); it
 *       re-centres the model's values on the group's empirical baseline. For k = 1 the coefficient
 *       is GRPO's A_i, so the first segment keeps GRPO's advantage and later segments use the value
 *       at their start as baseline.
 *   <li>{@code rredcot-rudder}: every token of segment k gets {@code c · r_k + λ · A_i}: the
 *       redistributed reward itself (after an optimal redistribution the expected future reward is
 *       zero, so r_k is segment k's advantage), scaled by {@code c} ({@link Settings#valueScale()},
 *       default 2 = 1 / 0.5, the reciprocal of the largest standard deviation a 0/1 reward can
 *       have, so a move that takes a coin-flip prefix to certain failure weighs as much as GRPO's
 *       advantage of a failed trace in a half-right group), plus an optional share λ ({@link
 *       Settings#grpoMix()}, default 0) of GRPO's advantage. A move that keeps the value gets about
 *       0 whatever the outcome; the move that loses it carries the loss.
 *   <li>{@code rredcot-rudder-anchored}: {@code rredcot-rudder} with the first segment's reward
 *       taken from the group's mean reward instead of the estimated v_0: {@code r_1 = v_1 − mean}.
 *       A trace's credit then sums to {@code c · (ζ − mean)}, GRPO's centred total, however far the
 *       estimator's value at the prompt is off (the continuation bank's is a lower bound, measured
 *       at −0.08 on the wide countdown level); the segments after the first are unchanged.
 *   <li>{@code rredcot-rudder-calibrated}: {@code rredcot-rudder} on the values {@code v_k^α} (k
 *       &lt; K; v_K = ζ as before), with α from {@link #calibrationExponent} so that the value at
 *       the prompt equals the group's mean reward. The power keeps 0, 1 and the order of the
 *       values, and lifts low values most, where a lower-bound estimator misses the most.
 *   <li>{@code rredcot-rudder-calibrated-prior}: the same, calibrated to {@link
 *       #calibrationTarget}: the group's mean reward, or where every reward is equal (an all-wrong
 *       group, whose mean 0 leaves the values as given) the Jeffreys estimate (Σζ + ½) / (G + 1).
 * </ul>
 *
 * <p>A group whose rewards are all equal has A_i = 0 for every trace, so GRPO and the tilt give it
 * no signal. The rules that read values keep it: {@code rredcot-rudder} as above (its GRPO share is
 * 0 there) and {@code rredcot-dense} with the group's zero standard deviation replaced by {@code 1
 * / c}: {@code c · (v_0 − v_{k−1})}, so a doomed move in an all-wrong group is still pushed down.
 */
public final class TokenAdvantages {
  /** Settings of the advantage rules. */
  public static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    private final AdvantageRule rule;
    private final double epsilon;
    private final double reweightStrength;
    private final double valueScale;
    private final double grpoMix;

    /** β of the exponential tilt unless set: the default of {@code --reweight-strength}. */
    public static final double DEFAULT_REWEIGHT_STRENGTH = 2.0;

    /** c of the value rules unless set: 1 / 0.5, the largest standard deviation of a 0/1 reward. */
    public static final double DEFAULT_VALUE_SCALE = 2.0;

    /** GRPO with the default ε ({@link GroupAdvantages#DEFAULT_EPSILON}) and β. */
    public static Settings grpo() {
      return new Settings(
          AdvantageRule.GRPO, GroupAdvantages.DEFAULT_EPSILON, DEFAULT_REWEIGHT_STRENGTH);
    }

    /** A rule with the default value scale and no GRPO mix. */
    public Settings(AdvantageRule rule, double epsilon, double reweightStrength) {
      this(rule, epsilon, reweightStrength, DEFAULT_VALUE_SCALE, 0);
    }

    /**
     * A rule with every setting.
     *
     * @param valueScale c of {@code rredcot-rudder} (and of {@code rredcot-dense} in all-equal
     *     groups), &gt; 0
     * @param grpoMix λ, the share of GRPO's advantage added by {@code rredcot-rudder}, &gt;= 0
     */
    public Settings(
        AdvantageRule rule,
        double epsilon,
        double reweightStrength,
        double valueScale,
        double grpoMix) {
      if (!(valueScale > 0) || !Double.isFinite(valueScale)) {
        throw new IllegalArgumentException("valueScale must be > 0, got " + valueScale);
      }
      if (!(grpoMix >= 0) || !Double.isFinite(grpoMix)) {
        throw new IllegalArgumentException("grpoMix must be >= 0, got " + grpoMix);
      }
      this.valueScale = valueScale;
      this.grpoMix = grpoMix;
      if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
        throw new IllegalArgumentException("advantageEpsilon must be > 0, got " + epsilon);
      }
      if (!(reweightStrength >= 0) || !Double.isFinite(reweightStrength)) {
        throw new IllegalArgumentException(
            "reweightStrength must be >= 0, got " + reweightStrength);
      }
      this.rule = rule;
      this.epsilon = epsilon;
      this.reweightStrength = reweightStrength;
    }

    public AdvantageRule rule() {
      return rule;
    }

    public double epsilon() {
      return epsilon;
    }

    /** β of the exponential tilt. */
    public double reweightStrength() {
      return reweightStrength;
    }

    /** c: the scale of the redistributed rewards under the value rules. */
    public double valueScale() {
      return valueScale;
    }

    /** λ: the share of GRPO's advantage that {@code rredcot-rudder} adds. */
    public double grpoMix() {
      return grpoMix;
    }
  }

  private TokenAdvantages() {}

  /** The smallest calibration exponent: how far one group's rewards may lift its values. */
  public static final double MIN_CALIBRATION_EXPONENT = 0.25;

  /**
   * The exponent α of the calibrated rules: {@code ln(target) / ln(v_0)}, so that {@code v_0^α =
   * target}, clamped to [{@link #MIN_CALIBRATION_EXPONENT}, 1]: values are only lifted (the
   * estimators it is meant for are lower bounds), and never by more than the clamp. 1 (the values
   * as given) where either side is 0 or 1, e.g. in an all-wrong group.
   *
   * @param startValue the estimated v_0
   * @param target the value at the prompt to calibrate to ({@link #calibrationTarget}), e.g. the
   *     group's mean reward, an unbiased estimate of it
   */
  public static double calibrationExponent(double startValue, double target) {
    if (!(startValue > 0 && startValue < 1 && target > 0 && target < 1)) {
      return 1;
    }
    double exponent = Math.log(target) / Math.log(startValue);
    return Math.max(MIN_CALIBRATION_EXPONENT, Math.min(1, exponent));
  }

  /**
   * The value at the prompt that {@code rule} calibrates a group's values to: its mean reward; for
   * {@code rredcot-rudder-calibrated-prior} in a group whose rewards are all equal, the Jeffreys
   * estimate of its success rate {@code (Σζ + ½) / (G + 1)} (the posterior mean under a Beta(½, ½)
   * prior), which is never 0 or 1.
   */
  public static double calibrationTarget(AdvantageRule rule, GroupStatistics statistics) {
    if (rule == AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR && statistics.allEqual()) {
      int n = statistics.count();
      return (statistics.mean() * n + 0.5) / (n + 1);
    }
    return statistics.mean();
  }

  /**
   * The values of {@code rredcot-rudder-calibrated}: v_0..v_{K−1} raised to {@link
   * #calibrationExponent}{@code (v_0, target)}, v_K (the reward) as given.
   */
  public static double[] calibratedValues(double[] boundaryValues, double target) {
    double exponent = calibrationExponent(boundaryValues[0], target);
    double[] calibrated = boundaryValues.clone();
    for (int k = 0; k + 1 < calibrated.length; k++) {
      calibrated[k] = Math.pow(calibrated[k], exponent);
    }
    return calibrated;
  }

  /**
   * The segment weights σ_k of the exponential tilt (token-weighted mean 1).
   *
   * @param boundaries K+1 token offsets
   * @param segmentRewards K rewards r_k
   * @param advantageSign sign of A_i (−1, 0 or 1); 0 gives σ ≡ 1
   */
  public static double[] tiltWeights(
      int[] boundaries, double[] segmentRewards, double advantageSign, double strength) {
    int segments = segmentRewards.length;
    double[] weights = new double[segments];
    if (advantageSign == 0 || strength == 0) {
      java.util.Arrays.fill(weights, 1.0);
      return weights;
    }
    double maxExponent = Double.NEGATIVE_INFINITY;
    for (double reward : segmentRewards) {
      maxExponent = Math.max(maxExponent, strength * advantageSign * reward);
    }
    double weightedSum = 0;
    for (int k = 0; k < segments; k++) {
      // Shifting by the largest exponent keeps exp() finite; the shift cancels in the
      // normalisation.
      weights[k] = Math.exp(strength * advantageSign * segmentRewards[k] - maxExponent);
      weightedSum += weights[k] * (boundaries[k + 1] - boundaries[k]);
    }
    int tokens = boundaries[segments] - boundaries[0];
    for (int k = 0; k < segments; k++) {
      weights[k] *= tokens / weightedSum;
    }
    return weights;
  }

  /** Per-token advantages of one trace under {@code settings.rule()}. */
  public static float[] compute(
      Settings settings,
      double reward,
      GroupStatistics statistics,
      int[] boundaries,
      double[] boundaryValues,
      double[] segmentRewards) {
    int segments = segmentRewards.length;
    if (boundaries.length != segments + 1 || boundaryValues.length != segments + 1) {
      throw new IllegalArgumentException(
          boundaries.length
              + " boundaries, "
              + boundaryValues.length
              + " values and "
              + segments
              + " segment rewards do not describe K segments");
    }
    float[] tokens = new float[boundaries[segments]];
    if (statistics.allEqual() && !settings.rule().usesValuesInEqualGroups()) {
      return tokens;
    }
    // 0 for an all-equal group.
    double advantage = GroupAdvantages.advantage(reward, statistics, settings.epsilon());
    double[] perSegment = new double[segments];
    switch (settings.rule()) {
      case GRPO:
        java.util.Arrays.fill(perSegment, advantage);
        break;
      case RREDCOT_REWEIGHT:
        double[] weights =
            tiltWeights(
                boundaries, segmentRewards, Math.signum(advantage), settings.reweightStrength());
        for (int k = 0; k < segments; k++) {
          perSegment[k] = advantage * weights[k];
        }
        break;
      case RREDCOT_DENSE:
        double scale =
            statistics.allEqual()
                ? settings.valueScale()
                : 1.0 / (statistics.std() + settings.epsilon());
        double returnToGo = 0;
        for (int k = segments - 1; k >= 0; k--) {
          returnToGo += segmentRewards[k];
          perSegment[k] = (returnToGo + boundaryValues[0] - statistics.mean()) * scale;
        }
        break;
      case RREDCOT_RUDDER_CALIBRATED:
      case RREDCOT_RUDDER_CALIBRATED_PRIOR:
        double[] calibrated =
            calibratedValues(boundaryValues, calibrationTarget(settings.rule(), statistics));
        for (int k = 0; k < segments; k++) {
          perSegment[k] =
              settings.valueScale() * (calibrated[k + 1] - calibrated[k])
                  + settings.grpoMix() * advantage;
        }
        break;
      case RREDCOT_RUDDER:
      case RREDCOT_RUDDER_ANCHORED:
        for (int k = 0; k < segments; k++) {
          perSegment[k] =
              settings.valueScale() * segmentRewards[k] + settings.grpoMix() * advantage;
        }
        if (settings.rule() == AdvantageRule.RREDCOT_RUDDER_ANCHORED) {
          // r_1 = v_1 − mean(ζ) = (v_1 − v_0) + (v_0 − mean(ζ)).
          perSegment[0] += settings.valueScale() * (boundaryValues[0] - statistics.mean());
        }
        break;
      default:
        throw new IllegalStateException("unhandled rule " + settings.rule());
    }
    for (int k = 0; k < segments; k++) {
      for (int t = boundaries[k]; t < boundaries[k + 1]; t++) {
        tokens[t] = (float) perSegment[k];
      }
    }
    return tokens;
  }
}
