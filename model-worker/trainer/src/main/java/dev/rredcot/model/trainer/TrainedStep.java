package dev.rredcot.model.trainer;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.policy.TrainStepResult;
import java.util.List;

/**
 * One optimiser step of the trainer and the checkpoint it wrote.
 *
 * @param checkpoint the new checkpoint (its version is the new policy version)
 * @param groupIds groups in the batch, in batch order
 * @param rolloutIds rollouts in the batch (zero-advantage traces included), in batch order
 * @param result optimiser metrics
 * @param evaluation held-out result of the new policy, or null when not evaluated at this version
 */
public record TrainedStep(
    Checkpoint checkpoint,
    List<String> groupIds,
    List<String> rolloutIds,
    TrainStepResult result,
    EvaluationResult evaluation) {

  /** Copies the lists. */
  public TrainedStep {
    groupIds = List.copyOf(groupIds);
    rolloutIds = List.copyOf(rolloutIds);
  }
}
