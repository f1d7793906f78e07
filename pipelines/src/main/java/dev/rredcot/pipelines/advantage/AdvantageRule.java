package dev.rredcot.pipelines.advantage;

/** The per-token advantage rules of METHOD.md §4; {@link #optionValue()} is the option value. */
public enum AdvantageRule {
  /** A_{i,t} = A_i for every token (σ ≡ 1). */
  GRPO("grpo"),
  /** A_{i,t} = A_i · σ_{k(t)} with the exponential tilt of {@link TokenAdvantages}. */
  RREDCOT_REWEIGHT("rredcot-reweight"),
  /** Segment returns-to-go of r_k plus the group baseline, see {@link TokenAdvantages}. */
  RREDCOT_DENSE("rredcot-dense");

  private final String optionValue;

  AdvantageRule(String optionValue) {
    this.optionValue = optionValue;
  }

  public String optionValue() {
    return optionValue;
  }

  /** Parses an option value; the error lists the valid ones. */
  public static AdvantageRule fromOption(String value) {
    for (AdvantageRule rule : values()) {
      if (rule.optionValue.equals(value)) {
        return rule;
      }
    }
    throw new IllegalArgumentException(
        "unknown creditMethod '" + value + "': use grpo, rredcot-reweight or rredcot-dense");
  }
}
