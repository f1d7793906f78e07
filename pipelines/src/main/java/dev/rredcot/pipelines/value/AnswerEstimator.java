package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ValueRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code answer} values: {@code p(answerSuffix(y*) | prompt + trace[0:b] + cue)} at every
 * unfinished boundary b ({@link PolicyBackend#answerValues}, KV cache reused when configured), and
 * the rollout's reward ζ at the finished trace.
 */
final class AnswerEstimator implements BoundaryValueEstimator {
  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of();
  }

  @Override
  public boolean batchesTraces() {
    return true;
  }

  @Override
  public List<double[]> values(
      PolicyBackend backend, ModelSettings settings, List<PreparedTrace> traces) {
    List<ValueRequest> requests = new ArrayList<>();
    for (PreparedTrace trace : traces) {
      requests.add(trace.request(trace.tokens(), trace.unfinishedBoundaries()));
    }
    List<double[]> values = backend.answerValues(requests, settings.reuseKvCache());
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      out.add(traces.get(i).withFinalReward(values.get(i)));
    }
    return out;
  }
}
