package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.group.TraceGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BankEstimator} on a backend that has nothing but log-probabilities. */
class BankEstimatorTest {
  private final BankEstimator estimator = new BankEstimator();

  @Test
  void needsNoCapabilityAndBatchesTraces() throws Exception {
    assertEquals(List.of(), estimator.requiredCapabilities());
    assertTrue(estimator.batchesTraces());
    try (FakeBackend bare = new FakeBackend()) {
      ValueScorer.checkBackend(ValueEstimator.BANK, bare);
    }
  }

  @Test
  void valueIsTheProbabilityOfTheBankTextsRestAndTheRewardAtTheEnd() throws Exception {
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend bare = new FakeBackend()) {
      double[] values =
          estimator.values(bare, settings(), FakeBackend.prepared(bare, group)).get(0);
      // Lines of 9, 8 and 6 tokens: the one bank text's rest after each line boundary.
      assertArrayEquals(
          new double[] {
            Math.exp(23 * (double) FakeBackend.LOG_HALF),
            Math.exp(14 * (double) FakeBackend.LOG_HALF),
            Math.exp(6 * (double) FakeBackend.LOG_HALF),
            1.0
          },
          values,
          1e-12);
    }
  }

  @Test
  void aGroupWithoutACorrectSolutionHasAnEmptyBank() throws Exception {
    TraceGroup group = FakeBackend.group(null, TinyPolicies.WRONG, TinyPolicies.WRONG);
    try (FakeBackend bare = new FakeBackend()) {
      List<PreparedTrace> prepared = FakeBackend.prepared(bare, group);
      ValueScorer.EmptyBankException e =
          assertThrows(
              ValueScorer.EmptyBankException.class,
              () -> estimator.values(bare, settings(), prepared));
      assertEquals(
          "no correct solution of the group ends its steps with 'A: 37\\n'", e.getMessage());
    }
  }

  /** The bank's own arithmetic: the fake backend does not generate, so no greedy fill. */
  private static ModelSettings settings() {
    return ModelSettings.builder().setCheckpointDir("unused").optBankGreedyFill(false).build();
  }
}
