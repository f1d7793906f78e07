package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PairedSampleTest {

  @Test
  void theMeanErrorIsTheSignedBiasThatACorrelationDoesNotSee() {
    // Every estimate half the truth: a perfect rank (and linear) correlation, biased low.
    PairedSample a = new PairedSample(new double[] {0.1, 0.2}, new double[] {0.2, 0.4});
    PairedSample b = new PairedSample(new double[] {0.3}, new double[] {0.6});
    assertEquals(1.0, RankCorrelation.pooled(RankCorrelation.Kind.SPEARMAN, List.of(a, b)), 1e-12);
    // (-0.1 - 0.2 - 0.3) / 3 pairs, pooled over units.
    assertEquals(-0.2, PairedSample.meanError(List.of(a, b)), 1e-12);
    assertTrue(Double.isNaN(PairedSample.meanError(List.of())));
  }

  @Test
  void theFirstPairIsTheValueAtThePrompt() {
    PairedSample a = new PairedSample(new double[] {0.1, 0.2}, new double[] {0.2, 0.4});
    assertArrayEquals(new double[] {0.1}, a.first().estimate());
    assertArrayEquals(new double[] {0.2}, a.first().truth());
    assertEquals(-0.1, PairedSample.meanError(List.of(a.first())), 1e-12);
  }
}
