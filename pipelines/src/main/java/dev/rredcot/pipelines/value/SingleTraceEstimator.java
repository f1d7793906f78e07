package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.PolicyBackend;
import java.util.ArrayList;
import java.util.List;

/** An estimator that scores each trace in calls of its own (mc, loo, gradient). */
abstract class SingleTraceEstimator implements BoundaryValueEstimator {
  @Override
  public final boolean batchesTraces() {
    return false;
  }

  @Override
  public final List<double[]> values(
      PolicyBackend backend, ModelSettings settings, List<PreparedTrace> traces) {
    List<double[]> values = new ArrayList<>();
    for (PreparedTrace trace : traces) {
      values.add(values(backend, settings, trace));
    }
    return values;
  }

  /** v_0..v_K of one trace. */
  abstract double[] values(PolicyBackend backend, ModelSettings settings, PreparedTrace trace);
}
