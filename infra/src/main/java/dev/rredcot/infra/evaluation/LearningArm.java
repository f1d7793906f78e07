package dev.rredcot.infra.evaluation;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.value.ValueEstimator;
import java.util.ArrayList;
import java.util.List;

/**
 * One arm of the learning comparison: an advantage rule and, for the RREDCoT rules, the value
 * estimator that feeds it. Names are stable summary keys: {@code grpo}, {@code rredcot-reweight},
 * {@code rredcot-dense} (with the evaluation's chosen estimator) and {@code oracle-mc<M>} (the
 * dense rule on Monte Carlo values with M samples per boundary, the upper reference).
 *
 * @param name summary key
 * @param rule advantage rule
 * @param estimator state values for the rule; {@link ValueEstimator#NONE} for GRPO
 * @param mcSamples samples per boundary when {@code estimator} is {@link ValueEstimator#MC}
 */
public record LearningArm(
    String name, AdvantageRule rule, ValueEstimator estimator, int mcSamples) {

  /** Name of the arm every other arm is compared with. */
  public static final String BASELINE = "grpo";

  /** Prefix of the Monte Carlo oracle arm's name. */
  public static final String ORACLE_PREFIX = "oracle-mc";

  /** GRPO: flat credit, no model call. */
  public static LearningArm grpo() {
    return new LearningArm(BASELINE, AdvantageRule.GRPO, ValueEstimator.NONE, 0);
  }

  /** A RREDCoT rule on the values of {@code estimator}. */
  public static LearningArm rredcot(AdvantageRule rule, ValueEstimator estimator) {
    return new LearningArm(rule.optionValue(), rule, estimator, 0);
  }

  /**
   * The upper reference: the dense rule on Monte Carlo values with {@code samples} per boundary.
   */
  public static LearningArm oracle(int samples) {
    return new LearningArm(
        ORACLE_PREFIX + samples, AdvantageRule.RREDCOT_DENSE, ValueEstimator.MC, samples);
  }

  /**
   * Arms from their names: {@code grpo}, {@code rredcot-reweight}, {@code rredcot-dense} (on {@code
   * estimator}) and {@code oracle-mc<M>}; the error lists the valid names.
   */
  public static List<LearningArm> parse(List<String> names, ValueEstimator estimator) {
    List<LearningArm> arms = new ArrayList<>();
    for (String name : names) {
      String trimmed = name.trim();
      if (trimmed.equals(BASELINE)) {
        arms.add(grpo());
      } else if (trimmed.startsWith(ORACLE_PREFIX)) {
        arms.add(oracle(parseSamples(trimmed)));
      } else if (trimmed.equals(AdvantageRule.RREDCOT_REWEIGHT.optionValue())
          || trimmed.equals(AdvantageRule.RREDCOT_DENSE.optionValue())) {
        arms.add(rredcot(AdvantageRule.fromOption(trimmed), estimator));
      } else {
        throw new IllegalArgumentException(
            "unknown arm '"
                + trimmed
                + "': use grpo, rredcot-reweight, rredcot-dense or oracle-mc<M> (e.g. oracle-mc8)");
      }
    }
    return arms;
  }

  private static int parseSamples(String name) {
    try {
      int samples = Integer.parseInt(name.substring(ORACLE_PREFIX.length()));
      if (samples >= 1) {
        return samples;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        "arm '"
            + name
            + "' needs a sample count >= 1 after "
            + ORACLE_PREFIX
            + " (e.g. oracle-mc8)");
  }

  /** What feeds the arm, for reports: {@code "grpo"} or {@code "rredcot-dense on bank"}. */
  public String description() {
    return estimator == ValueEstimator.NONE
        ? rule.optionValue()
        : rule.optionValue()
            + " on "
            + estimator.optionValue()
            + (estimator == ValueEstimator.MC ? " (M = " + mcSamples + ")" : "");
  }
}
