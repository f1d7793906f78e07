package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.group.TraceGroup;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link AnswerEstimator} on a backend that has nothing but log-probabilities. */
class AnswerEstimatorTest {
  private final AnswerEstimator estimator = new AnswerEstimator();

  @Test
  void needsNoCapabilityAndBatchesTraces() throws Exception {
    assertEquals(List.of(), estimator.requiredCapabilities());
    assertTrue(estimator.batchesTraces());
    try (FakeBackend bare = new FakeBackend()) {
      ValueScorer.checkBackend(ValueEstimator.ANSWER, bare);
    }
  }

  @Test
  void valueIsTheAnswerProbabilityAtUnfinishedBoundariesAndTheRewardAtTheEnd() throws Exception {
    TraceGroup group =
        FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT, TinyPolicies.WRONG);
    try (FakeBackend bare = new FakeBackend()) {
      List<double[]> values = estimator.values(bare, settings(), FakeBackend.prepared(bare, group));
      // The answer "37\n" is three tokens of probability 1/2 after every prefix.
      double answer = Math.exp(3 * FakeBackend.LOG_HALF);
      assertArrayEquals(new double[] {answer, answer, answer, 1.0}, values.get(0), 1e-12);
      assertArrayEquals(new double[] {answer, answer, answer, 0.0}, values.get(1), 1e-12);
    }
  }

  private static ModelSettings settings() {
    return TinyPolicies.settings(Path.of("unused"));
  }
}
