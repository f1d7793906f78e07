package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ValueRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code loo} values: attributions a_k = {@code p_full − p(y* | trace without segment k)}, mapped
 * to boundary values by {@link AttributionValues}.
 */
final class LeaveOneOutEstimator extends SingleTraceEstimator {
  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of();
  }

  @Override
  double[] values(PolicyBackend backend, ModelSettings settings, PreparedTrace trace) {
    int[] tokens = trace.tokens();
    int[] boundaries = trace.boundaries();
    int segments = boundaries.length - 1;
    List<ValueRequest> requests = new ArrayList<>();
    requests.add(trace.request(tokens, new int[] {0, tokens.length}));
    for (int k = 1; k <= segments; k++) {
      int from = boundaries[k - 1];
      int to = boundaries[k];
      int[] removed = new int[tokens.length - (to - from)];
      System.arraycopy(tokens, 0, removed, 0, from);
      System.arraycopy(tokens, to, removed, from, tokens.length - to);
      requests.add(trace.request(removed, new int[] {removed.length}));
    }
    List<double[]> answers = backend.answerValues(requests, settings.reuseKvCache());
    double promptOnly = answers.get(0)[0];
    double full = answers.get(0)[1];
    double[] attributions = new double[segments];
    for (int k = 0; k < segments; k++) {
      attributions[k] = full - answers.get(k + 1)[0];
    }
    return AttributionValues.boundaryValues(promptOnly, full, attributions);
  }
}
