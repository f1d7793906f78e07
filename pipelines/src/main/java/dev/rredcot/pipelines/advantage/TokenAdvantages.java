package dev.rredcot.pipelines.advantage;

import dev.rredcot.model.trainer.GroupAdvantages;
import dev.rredcot.model.trainer.GroupStatistics;
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
 * </ul>
 *
 * <p>A group whose rewards are all equal carries no learning signal: every rule gives every token
 * advantage 0. GRPO and the tilt get this from A_i = 0; the dense rule would otherwise divide the
 * value differences {@code v_0 − v_{k−1}} by ε alone.
 */
public final class TokenAdvantages {
  /** Settings of the advantage rules. */
  public static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    private final AdvantageRule rule;
    private final double epsilon;
    private final double reweightStrength;

    /** β of the exponential tilt unless set: the default of {@code --reweightStrength}. */
    public static final double DEFAULT_REWEIGHT_STRENGTH = 2.0;

    /** GRPO with the default ε ({@link GroupAdvantages#DEFAULT_EPSILON}) and β. */
    public static Settings grpo() {
      return new Settings(
          AdvantageRule.GRPO, GroupAdvantages.DEFAULT_EPSILON, DEFAULT_REWEIGHT_STRENGTH);
    }

    public Settings(AdvantageRule rule, double epsilon, double reweightStrength) {
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
  }

  private TokenAdvantages() {}

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
    if (statistics.allEqual()) {
      return tokens;
    }
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
        double returnToGo = 0;
        for (int k = segments - 1; k >= 0; k--) {
          returnToGo += segmentRewards[k];
          perSegment[k] =
              (returnToGo + boundaryValues[0] - statistics.mean())
                  / (statistics.std() + settings.epsilon());
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
