package dev.rredcot.pipelines;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ValueEstimator;
import java.util.Objects;

/**
 * The credit a job computes: an advantage rule, a value estimator and a segmentation, resolved once
 * from {@code --credit} and the three explicit options, without changing the options.
 *
 * @param rule the advantage rule ({@code --creditMethod})
 * @param estimator the value estimator ({@code --valueEstimator})
 * @param segmentation the segmentation strategy ({@code --segmentation})
 */
public record CreditChoice(
    AdvantageRule rule, ValueEstimator estimator, SegmentationStrategy segmentation) {

  /** Checks for nulls. */
  public CreditChoice {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(estimator, "estimator");
    Objects.requireNonNull(segmentation, "segmentation");
  }

  /** The presets of {@code --credit}. */
  public enum Preset {
    /** GRPO: one segment, the group-mean baseline (also what no preset means). */
    GRPO("grpo", AdvantageRule.GRPO, ValueEstimator.NONE, SegmentationStrategy.SINGLE),
    /**
     * RREDCoT: the rule under which values make learning faster than GRPO, on values of the aligned
     * continuation bank with its greedy fill (the estimator the credit evaluation favours)
     * calibrated per group to its mean reward (the bank's values run low), hybrid segments.
     */
    RREDCOT(
        "rredcot",
        AdvantageRule.RREDCOT_RUDDER_CALIBRATED,
        ValueEstimator.BANK,
        SegmentationStrategy.HYBRID),
    /** The RUDDER rule on Monte Carlo values sampled from the policy (unbiased: not calibrated). */
    MC("mc", AdvantageRule.RREDCOT_RUDDER, ValueEstimator.MC, SegmentationStrategy.HYBRID);

    private final String optionValue;
    private final CreditChoice choice;

    Preset(
        String optionValue,
        AdvantageRule rule,
        ValueEstimator estimator,
        SegmentationStrategy segmentation) {
      this.optionValue = optionValue;
      this.choice = new CreditChoice(rule, estimator, segmentation);
    }

    /** The {@code --credit} value. */
    public String optionValue() {
      return optionValue;
    }

    /** What the preset chooses when no explicit option is given. */
    public CreditChoice choice() {
      return choice;
    }

    /** The preset named {@code value}; empty means {@link #GRPO}. */
    public static Preset fromOption(String value) {
      if (value.isEmpty()) {
        return GRPO;
      }
      for (Preset preset : values()) {
        if (preset.optionValue.equals(value)) {
          return preset;
        }
      }
      throw new IllegalArgumentException(
          "unknown --credit '" + value + "': use grpo, rredcot or mc");
    }
  }

  /**
   * The credit of {@code options}: each of {@code --creditMethod}, {@code --valueEstimator} and
   * {@code --segmentation} as given, and where empty (not given) the {@code --credit} preset's.
   *
   * @throws IllegalArgumentException for an unknown preset or option value, naming it
   */
  public static CreditChoice of(CreditPipelineOptions options) {
    CreditChoice preset = Preset.fromOption(options.getCredit()).choice();
    return new CreditChoice(
        options.getCreditMethod().isEmpty()
            ? preset.rule()
            : AdvantageRule.fromOption(options.getCreditMethod()),
        options.getValueEstimator().isEmpty()
            ? preset.estimator()
            : ValueEstimator.fromOption(options.getValueEstimator()),
        options.getSegmentation().isEmpty()
            ? preset.segmentation()
            : SegmentationStrategy.fromOption(options.getSegmentation()));
  }

  /** {@code rule / estimator / segmentation} in their option values, as the consoles print it. */
  @Override
  public String toString() {
    return rule.optionValue()
        + " / "
        + estimator.optionValue()
        + " / "
        + segmentation.optionValue();
  }
}
