package dev.rredcot.infra.evaluation;

import java.util.List;

/**
 * Paired numbers of one evaluation unit (one rollout): an estimator's values (or segment rewards)
 * and the ground truth's at the same positions.
 *
 * @param estimate the estimator's numbers
 * @param truth the ground truth's numbers, same length
 */
public record PairedSample(double[] estimate, double[] truth) {

  /** Validates and copies. */
  public PairedSample {
    if (estimate.length != truth.length) {
      throw new IllegalArgumentException(
          estimate.length + " estimates but " + truth.length + " ground-truth numbers");
    }
    estimate = estimate.clone();
    truth = truth.clone();
  }

  /**
   * Mean signed error, estimate minus truth, over all pairs of {@code units} (NaN without pairs):
   * the bias that a rank or linear correlation does not see.
   */
  public static double meanError(List<PairedSample> units) {
    double sum = 0;
    long n = 0;
    for (PairedSample unit : units) {
      for (int i = 0; i < unit.estimate.length; i++) {
        sum += unit.estimate[i] - unit.truth[i];
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** The first pair alone (an empty sample when there is none). */
  public PairedSample first() {
    return estimate.length == 0
        ? this
        : new PairedSample(new double[] {estimate[0]}, new double[] {truth[0]});
  }

  /** The pairs {@code from} (inclusive) to {@code to} (exclusive). */
  public PairedSample slice(int from, int to) {
    return new PairedSample(
        java.util.Arrays.copyOfRange(estimate, from, to),
        java.util.Arrays.copyOfRange(truth, from, to));
  }

  /** All units' pairs, in order. */
  public static PairedSample concat(List<PairedSample> units) {
    int size = 0;
    for (PairedSample unit : units) {
      size += unit.estimate.length;
    }
    double[] estimate = new double[size];
    double[] truth = new double[size];
    int at = 0;
    for (PairedSample unit : units) {
      System.arraycopy(unit.estimate, 0, estimate, at, unit.estimate.length);
      System.arraycopy(unit.truth, 0, truth, at, unit.truth.length);
      at += unit.estimate.length;
    }
    return new PairedSample(estimate, truth);
  }
}
