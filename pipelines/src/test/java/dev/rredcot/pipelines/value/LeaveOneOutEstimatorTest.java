package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.pipelines.group.TraceGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link LeaveOneOutEstimator}: answer values of the trace without each segment. */
class LeaveOneOutEstimatorTest {
  private final LeaveOneOutEstimator estimator = new LeaveOneOutEstimator();

  @Test
  void needsNoCapabilityAndScoresEachTraceAlone() throws Exception {
    assertEquals(List.of(), estimator.requiredCapabilities());
    assertFalse(estimator.batchesTraces());
    try (FakeBackend bare = new FakeBackend()) {
      ValueScorer.checkBackend(ValueEstimator.LOO, bare);
    }
  }

  @Test
  void segmentsShareTheChangeInProportionToWhatRemovingThemCosts() throws Exception {
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend backend =
        new FakeBackend() {
          @Override
          public List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
            List<double[]> out = new ArrayList<>();
            for (ValueRequest request : batch) {
              if (request.boundaries().length == 2) {
                out.add(new double[] {0.2, 0.6}); // prompt alone, full trace
              } else {
                // Removing a segment costs 0.01 per removed token.
                out.add(new double[] {0.6 - 0.01 * (23 - request.traceTokens().length)});
              }
            }
            return out;
          }
        }) {
      double[] values =
          estimator.values(backend, settings(), FakeBackend.prepared(backend, group)).get(0);
      // Segments of 9, 8 and 6 tokens.
      assertArrayEquals(
          new double[] {0.2, 0.2 + 0.4 * 9 / 23, 0.2 + 0.4 * 17 / 23, 0.6}, values, 1e-12);
    }
  }

  private static ModelSettings settings() {
    return TinyPolicies.settings(Path.of("unused"));
  }
}
