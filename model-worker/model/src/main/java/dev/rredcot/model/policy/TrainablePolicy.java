package dev.rredcot.model.policy;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A policy the trainer can train: a {@link PolicyBackend} with the decoupled PPO step of {@link
 * PolicyTraining} and a way to write itself into the checkpoint store, which workers and the value
 * stage load back ({@code PolicyCheckpoints} (loading package)). The built-in {@link Policy} and
 * the DJL Llama ({@link LlamaPolicy}) are the two.
 */
public interface TrainablePolicy extends PolicyBackend {

  /**
   * One step of the decoupled PPO objective on {@code batch} ({@link Policy#trainStep} defines it).
   *
   * @throws NonFiniteStepException when the loss or gradient norm of the first update is not
   *     finite; the policy is then unchanged
   */
  TrainStepResult trainStep(List<TrainExample> batch, PolicyUpdateOptions options);

  /**
   * Writes this policy as checkpoint {@code version} of {@code store} (its own files plus the
   * store's manifest and signature) and adopts that version.
   */
  Checkpoint save(
      CheckpointStore store, long version, Long parentVersion, Map<String, Double> metrics)
      throws IOException;
}
