package dev.rredcot.pipelines.advantage;

/**
 * The per-token advantage rules of METHOD.md §4; {@link #optionValue()} is the option value and
 * {@link #shortName()} the rule's part of a learning arm's name ({@code rudder:bank}).
 */
public enum AdvantageRule {
  /** A_{i,t} = A_i for every token (σ ≡ 1). */
  GRPO("grpo", "grpo"),
  /** A_{i,t} = A_i · σ_{k(t)} with the exponential tilt of {@link TokenAdvantages}. */
  RREDCOT_REWEIGHT("rredcot-reweight", "reweight"),
  /** Segment returns-to-go of r_k plus the group baseline, see {@link TokenAdvantages}. */
  RREDCOT_DENSE("rredcot-dense", "dense"),
  /**
   * A_{i,t} = c · r_{k(t)}, the redistributed reward itself (RUDDER), see {@link TokenAdvantages}.
   */
  RREDCOT_RUDDER("rredcot-rudder", "rudder"),
  /**
   * {@link #RREDCOT_RUDDER} with the first segment's reward taken from the group's mean reward
   * instead of the estimated v_0 (r_1 = v_1 − mean(ζ)), so a trace's credit sums to ζ − mean(ζ)
   * whatever the estimator's bias at the prompt; see {@link TokenAdvantages}.
   */
  RREDCOT_RUDDER_ANCHORED("rredcot-rudder-anchored", "rudder-anchored"),
  /**
   * {@link #RREDCOT_RUDDER} on values calibrated per group to its mean reward at the prompt: v_k
   * becomes v_k^α with α chosen so that v_0^α = mean(ζ), which keeps 0 and 1 and the order of the
   * values; see {@link TokenAdvantages#calibrationExponent}.
   */
  RREDCOT_RUDDER_CALIBRATED("rredcot-rudder-calibrated", "rudder-calibrated"),
  /**
   * {@link #RREDCOT_RUDDER_CALIBRATED} that also calibrates a group whose rewards are all equal, to
   * the Jeffreys estimate of its success rate, (Σζ + ½) / (G + 1), since its own mean (0 or 1)
   * gives no value strictly between; see {@link TokenAdvantages#calibrationTarget}.
   */
  RREDCOT_RUDDER_CALIBRATED_PRIOR("rredcot-rudder-calibrated-prior", "rudder-calibrated-prior");

  private final String optionValue;
  private final String shortName;

  AdvantageRule(String optionValue, String shortName) {
    this.optionValue = optionValue;
    this.shortName = shortName;
  }

  public String optionValue() {
    return optionValue;
  }

  /** The rule's name in a learning arm, e.g. {@code rudder}. */
  public String shortName() {
    return shortName;
  }

  /**
   * Whether the rule reads state values beyond the group's rewards, so a group whose rewards are
   * all equal still carries signal (a doomed move in an all-wrong group).
   */
  public boolean usesValuesInEqualGroups() {
    return this == RREDCOT_RUDDER
        || this == RREDCOT_RUDDER_ANCHORED
        || this == RREDCOT_RUDDER_CALIBRATED
        || this == RREDCOT_RUDDER_CALIBRATED_PRIOR
        || this == RREDCOT_DENSE;
  }

  /** The rule called {@code shortName} ({@code grpo, reweight, dense, rudder, ...}). */
  public static AdvantageRule fromShortName(String shortName) {
    for (AdvantageRule rule : values()) {
      if (rule.shortName.equals(shortName)) {
        return rule;
      }
    }
    throw new IllegalArgumentException(
        "unknown rule '" + shortName + "': use " + listed(AdvantageRule::shortName));
  }

  /** Parses an option value; the error lists the valid ones. */
  public static AdvantageRule fromOption(String value) {
    for (AdvantageRule rule : values()) {
      if (rule.optionValue.equals(value)) {
        return rule;
      }
    }
    throw new IllegalArgumentException(
        "unknown creditMethod '" + value + "': use " + listed(AdvantageRule::optionValue));
  }

  /** Every rule's name as {@code name} gives it, as "a, b or c". */
  public static String listed(java.util.function.Function<AdvantageRule, String> name) {
    AdvantageRule[] rules = values();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < rules.length; i++) {
      if (i > 0) {
        text.append(i == rules.length - 1 ? " or " : ", ");
      }
      text.append(name.apply(rules[i]));
    }
    return text.toString();
  }
}
