package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code reach} values: the family's exact oracle ({@code TaskFamily.solvableAfter}) at every
 * unfinished boundary, 1 while the answer is still reachable and 0 once it is not, and the
 * rollout's reward ζ at the finished trace. No model call: the value of a perfect player, which is
 * not the policy's value (a correct trace gets no credit at all under it).
 */
final class ReachabilityEstimator extends SingleTraceEstimator {
  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of();
  }

  @Override
  double[] values(PolicyBackend backend, ModelSettings settings, PreparedTrace trace) {
    boolean[] lost = lost(backend, trace, trace.trace().rollout().getReferenceAnswer());
    double[] values = new double[trace.boundaries().length - 1];
    for (int k = 0; k < values.length; k++) {
      values[k] = lost[k] ? 0 : 1;
    }
    return trace.withFinalReward(values);
  }

  /**
   * For every boundary, whether the problem can no longer be solved after the trace's prefix up to
   * it.
   *
   * @throws NoOracleException when the trace's task family has no exact oracle
   */
  static boolean[] lost(PolicyBackend backend, PreparedTrace trace, String referenceAnswer) {
    int[] boundaries = trace.boundaries();
    boolean[] lost = new boolean[boundaries.length];
    for (int k = 0; k < boundaries.length; k++) {
      String prefix = backend.tokenizer().decode(Arrays.copyOf(trace.tokens(), boundaries[k]));
      Optional<Boolean> solvable = trace.task().solvableAfter(referenceAnswer, prefix);
      if (solvable.isEmpty()) {
        throw new NoOracleException(
            "task family " + trace.task().name() + " has no exact oracle for reach values");
      }
      lost[k] = !solvable.get();
    }
    return lost;
  }

  /** The trace's family has no exact oracle; becomes {@code no-exact-oracle}. */
  static final class NoOracleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoOracleException(String message) {
      super(message);
    }
  }
}
