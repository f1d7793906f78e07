package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.rredcot.model.backend.TorchEngine;

/**
 * Faults injected into a policy's weights for tests of what the trainer does when a step cannot be
 * taken (public so the trainer's tests can use it).
 */
public final class PolicyFaults {

  private PolicyFaults() {}

  /**
   * Sets the position embeddings from {@code firstPosition} on to NaN: a sequence that reaches that
   * position gets a NaN loss and gradient, shorter ones train as before (positions are per row, and
   * no row attends to another).
   */
  public static void poisonPositionsFrom(Policy policy, int firstPosition) {
    NDArray positions = policy.network().parameters().get("pos_emb");
    TorchEngine.withoutGradients(
        () -> {
          positions.set(new NDIndex(firstPosition + ":"), Float.NaN);
          return null;
        });
  }

  /** Whether every weight of {@code policy} is finite. */
  public static boolean allWeightsFinite(Policy policy) {
    return TorchEngine.withoutGradients(
        () -> {
          for (NDArray weight : policy.network().parameters().values()) {
            for (float value : weight.toFloatArray()) {
              if (!Float.isFinite(value)) {
                return false;
              }
            }
          }
          return true;
        });
  }
}
