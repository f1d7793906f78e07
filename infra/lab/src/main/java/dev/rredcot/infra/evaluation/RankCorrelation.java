package dev.rredcot.infra.evaluation;

import java.util.List;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * Spearman (average ranks for ties, from commons-math3) and Pearson correlation of paired samples,
 * pooled over evaluation units (rollouts), with {@link Double#NaN} when the correlation is not
 * defined (fewer than two pairs, or one side constant).
 */
public final class RankCorrelation {
  /** Which coefficient. */
  public enum Kind {
    SPEARMAN,
    PEARSON
  }

  private RankCorrelation() {}

  /** The coefficient of {@code x} and {@code y}; NaN when undefined. */
  public static double of(Kind kind, double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
    }
    if (x.length < 2 || constant(x) || constant(y)) {
      return Double.NaN;
    }
    return kind == Kind.SPEARMAN
        ? new SpearmansCorrelation().correlation(x, y)
        : new PearsonsCorrelation().correlation(x, y);
  }

  /** Spearman's rho of {@code x} and {@code y}; NaN when undefined. */
  public static double spearman(double[] x, double[] y) {
    return of(Kind.SPEARMAN, x, y);
  }

  /** Pearson's r of {@code x} and {@code y}; NaN when undefined. */
  public static double pearson(double[] x, double[] y) {
    return of(Kind.PEARSON, x, y);
  }

  /** The coefficient of the pairs of every unit in {@code units}, pooled. */
  public static double pooled(Kind kind, List<PairedSample> units) {
    PairedSample all = PairedSample.concat(units);
    return of(kind, all.estimate(), all.truth());
  }

  private static boolean constant(double[] values) {
    for (double value : values) {
      if (value != values[0]) {
        return false;
      }
    }
    return true;
  }
}
