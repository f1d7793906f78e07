package dev.rredcot.model.backend;

/**
 * How continuation-bank values combine the log-probabilities of a boundary's distinct aligned
 * remainders (each term is the summed log-probability of the remainder's lines, cue and answer).
 */
public enum BankAggregation {
  /**
   * Log-sum-exp over the distinct remainders: the probability that the policy writes one of them, a
   * lower bound on the value since distinct remainders are disjoint events (METHOD.md section 2).
   */
  SUM,
  /** The sum divided by the number of distinct remainders (the bank mean, 1/N). */
  MEAN,
  /**
   * The bank mean of per-token probabilities: each remainder's log-probability divided by its token
   * count before the mean, so long remainders are not driven to zero.
   */
  PER_TOKEN;

  /**
   * The value of one boundary from its remainders: {@code sums[k]} is remainder k's summed
   * log-probability and {@code lengths[k]} its token count; no remainders give 0.
   */
  public double combine(double[] sums, int[] lengths) {
    double[] terms = new double[sums.length];
    for (int k = 0; k < sums.length; k++) {
      terms[k] = this == PER_TOKEN ? sums[k] / lengths[k] : sums[k];
    }
    double log = logSumExp(terms);
    if (this != SUM && sums.length > 0) {
      log -= Math.log(sums.length);
    }
    return Math.exp(log);
  }

  /** {@code log(sum(exp(terms)))}, stable; negative infinity for no terms. */
  public static double logSumExp(double[] terms) {
    double max = Double.NEGATIVE_INFINITY;
    for (double t : terms) {
      max = Math.max(max, t);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double sum = 0;
    for (double t : terms) {
      sum += Math.exp(t - max);
    }
    return max + Math.log(sum);
  }

  /** Option value, e.g. {@code per-token}. */
  public String optionValue() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** Parses an option value; the error lists the valid ones. */
  public static BankAggregation fromOption(String value) {
    for (BankAggregation aggregation : values()) {
      if (aggregation.optionValue().equals(value)) {
        return aggregation;
      }
    }
    throw new IllegalArgumentException(
        "unknown bank aggregation '" + value + "': use sum, mean or per-token");
  }
}
