package dev.rredcot.pipelines.value;

/**
 * Maps per-segment attributions to boundary values, for the {@code loo} and {@code gradient}
 * estimators: v_0 = p(y* | prompt alone) and v_k = v_0 + (p_full − v_0) · (a_1 + … + a_k) / (a_1 +
 * … + a_K), so v_K = p_full and the segment rewards split the total change in proportion to the
 * attributions. These values can leave [0, 1] when attributions have mixed signs; the telescoping
 * sum still holds.
 */
final class AttributionValues {
  private AttributionValues() {}

  /**
   * v_0 = {@code promptOnly}, v_k = v_0 + (full − v_0) · A_k / A_K with A_k the cumulative
   * attribution; equal shares when |A_K| is (numerically) zero. Non-finite attributions give
   * non-finite values, which the caller turns into {@code non-finite-value}.
   */
  static double[] boundaryValues(double promptOnly, double full, double[] attributions) {
    int segments = attributions.length;
    double total = 0;
    for (double a : attributions) {
      total += a;
    }
    double[] values = new double[segments + 1];
    values[0] = promptOnly;
    double cumulative = 0;
    for (int k = 1; k <= segments; k++) {
      cumulative += attributions[k - 1];
      double share = Math.abs(total) > 1e-12 ? cumulative / total : k / (double) segments;
      if (!Double.isFinite(total)) {
        share = Double.NaN;
      }
      values[k] = promptOnly + (full - promptOnly) * share;
    }
    return values;
  }
}
