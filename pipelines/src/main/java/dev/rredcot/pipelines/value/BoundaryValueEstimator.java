package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import java.util.List;

/**
 * One way of estimating the boundary values v_0..v_K of checked traces with a policy backend: the
 * implementation of one {@link ValueEstimator} option that needs the policy.
 */
interface BoundaryValueEstimator {
  /**
   * The implementation of {@code option}: the one place where option values meet classes.
   *
   * @throws IllegalArgumentException for {@link ValueEstimator#NONE}, which needs no model
   */
  static BoundaryValueEstimator of(ValueEstimator option) {
    switch (option) {
      case ANSWER:
        return new AnswerEstimator();
      case BANK:
        return new BankEstimator();
      case MC:
        return new MonteCarloEstimator(false);
      case REACH_MC:
        return new MonteCarloEstimator(true);
      case REACH:
        return new ReachabilityEstimator();
      case LOO:
        return new LeaveOneOutEstimator();
      case GRADIENT:
        return new GradientEstimator();
      default:
        throw new IllegalArgumentException(
            "valueEstimator " + option.optionValue() + " needs no model");
    }
  }

  /** The capabilities beyond log-probabilities that a backend needs for these values. */
  List<BackendCapability> requiredCapabilities();

  /**
   * Whether several traces, of one group or of several, go to the backend in one call (batched by
   * count and tokens); otherwise each trace is scored alone.
   */
  boolean batchesTraces();

  /**
   * v_0..v_K of each of {@code traces}, in their order; the traces may come from several groups
   * ({@link PreparedTrace#group()}). An unchecked exception fails the call; the caller then retries
   * the batch group by group and trace by trace.
   */
  List<double[]> values(PolicyBackend backend, ModelSettings settings, List<PreparedTrace> traces);
}
