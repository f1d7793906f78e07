package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ValueRequest;
import java.util.List;

/**
 * {@code gradient} values: attributions a_k = gradient × input of {@code log p(y* | full trace)}
 * summed over segment k's tokens ({@link PolicyBackend#gradientTimesInput}), mapped to boundary
 * values by {@link AttributionValues}.
 */
final class GradientEstimator extends SingleTraceEstimator {
  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of(BackendCapability.GRADIENTS);
  }

  @Override
  double[] values(PolicyBackend backend, ModelSettings settings, PreparedTrace trace) {
    int[] boundaries = trace.boundaries();
    ValueRequest request = trace.request(trace.tokens(), new int[] {0, trace.tokens().length});
    double[] ends = backend.answerValues(List.of(request), settings.reuseKvCache()).get(0);
    double[] perToken = backend.gradientTimesInput(List.of(request)).get(0);
    int segments = boundaries.length - 1;
    double[] attributions = new double[segments];
    for (int k = 0; k < segments; k++) {
      for (int t = boundaries[k]; t < boundaries[k + 1]; t++) {
        attributions[k] += perToken[t];
      }
    }
    return AttributionValues.boundaryValues(ends[0], ends[1], attributions);
  }
}
