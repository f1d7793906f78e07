package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RankCorrelationTest {

  @Test
  void spearmanGivesTiedValuesTheirAverageRank() {
    // Ranks of x are 1, 2.5, 2.5, 4: rho = 4.5 / sqrt(4.5 * 5).
    double rho = RankCorrelation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 2, 3, 4});
    assertEquals(4.5 / Math.sqrt(4.5 * 5), rho, 1e-12);
  }

  @Test
  void spearmanIsOneForAnyIncreasingRelationWherePearsonIsNot() {
    double[] x = {1, 2, 3, 4, 5};
    double[] y = {1, 8, 27, 64, 125};
    assertEquals(1.0, RankCorrelation.spearman(x, y), 1e-12);
    assertTrue(RankCorrelation.pearson(x, y) < 0.99);
  }

  @Test
  void reversedOrderGivesMinusOne() {
    assertEquals(
        -1.0, RankCorrelation.spearman(new double[] {1, 2, 3}, new double[] {9, 5, 1}), 1e-12);
  }

  @Test
  void constantSideIsUndefined() {
    assertTrue(
        Double.isNaN(RankCorrelation.spearman(new double[] {1, 2, 3}, new double[] {4, 4, 4})));
    assertTrue(Double.isNaN(RankCorrelation.pearson(new double[] {7}, new double[] {1})));
  }

  @Test
  void pooledCorrelationConcatenatesTheUnitsPairs() {
    List<PairedSample> units =
        List.of(
            new PairedSample(new double[] {1, 2}, new double[] {1, 2}),
            new PairedSample(new double[] {2, 3}, new double[] {3, 4}));
    assertEquals(
        RankCorrelation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 2, 3, 4}),
        RankCorrelation.pooled(RankCorrelation.Kind.SPEARMAN, units),
        1e-12);
  }
}
