package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.UnsupportedCapabilityException;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.pipelines.group.TraceGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link GradientEstimator}: it needs gradients and sums gradient × input per segment. */
class GradientEstimatorTest {
  private final GradientEstimator estimator = new GradientEstimator();

  @Test
  void needsGradientsAndRefusesABackendWithoutThem() throws Exception {
    assertEquals(List.of(BackendCapability.GRADIENTS), estimator.requiredCapabilities());
    assertFalse(estimator.batchesTraces());
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend bare = new FakeBackend()) {
      UnsupportedCapabilityException e =
          assertThrows(
              UnsupportedCapabilityException.class,
              () -> ValueScorer.checkBackend(ValueEstimator.GRADIENT, bare));
      assertThat(
          e.getMessage(), containsString("--value-estimator=gradient needs capability gradients"));
      List<PreparedTrace> prepared = FakeBackend.prepared(bare, group);
      assertThrows(
          UnsupportedCapabilityException.class, () -> estimator.values(bare, settings(), prepared));
    }
  }

  @Test
  void segmentsShareTheChangeInProportionToTheirSummedAttribution() throws Exception {
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend backend =
        new FakeBackend(BackendCapability.GRADIENTS) {
          @Override
          public List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
            return List.of(new double[] {0.2, 0.6}); // prompt alone, full trace
          }

          @Override
          public List<double[]> gradientTimesInput(List<ValueRequest> batch) {
            // Tokens of the first line (9) count 2, the rest (8 + 6) count 1.
            List<double[]> out = new ArrayList<>();
            double[] perToken = new double[batch.get(0).traceTokens().length];
            for (int t = 0; t < perToken.length; t++) {
              perToken[t] = t < 9 ? 2 : 1;
            }
            out.add(perToken);
            return out;
          }
        }) {
      double[] values =
          estimator.values(backend, settings(), FakeBackend.prepared(backend, group)).get(0);
      assertArrayEquals(
          new double[] {0.2, 0.2 + 0.4 * 18 / 32, 0.2 + 0.4 * 26 / 32, 0.6}, values, 1e-12);
    }
  }

  private static ModelSettings settings() {
    return TinyPolicies.settings(Path.of("unused"));
  }
}
