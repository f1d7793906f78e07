package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The option values map to one estimator class each, and ValueScorer asks them what they need. */
class BoundaryValueEstimatorTest {
  @Test
  void everyPolicyOptionHasItsOwnEstimatorClass() {
    assertInstanceOf(AnswerEstimator.class, BoundaryValueEstimator.of(ValueEstimator.ANSWER));
    assertInstanceOf(BankEstimator.class, BoundaryValueEstimator.of(ValueEstimator.BANK));
    assertInstanceOf(MonteCarloEstimator.class, BoundaryValueEstimator.of(ValueEstimator.MC));
    assertInstanceOf(LeaveOneOutEstimator.class, BoundaryValueEstimator.of(ValueEstimator.LOO));
    assertInstanceOf(GradientEstimator.class, BoundaryValueEstimator.of(ValueEstimator.GRADIENT));
  }

  @Test
  void noneHasNoEstimatorAndNeedsNoCapability() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> BoundaryValueEstimator.of(ValueEstimator.NONE));
    assertEquals("valueEstimator none needs no model", e.getMessage());
    assertEquals(List.of(), ValueScorer.requiredCapabilities(ValueEstimator.NONE));
  }

  @Test
  void theScorerRequiresWhatTheEstimatorClassDeclares() {
    for (ValueEstimator option : ValueEstimator.values()) {
      if (option.needsPolicy()) {
        assertEquals(
            BoundaryValueEstimator.of(option).requiredCapabilities(),
            ValueScorer.requiredCapabilities(option),
            option.optionValue());
      }
    }
  }
}
