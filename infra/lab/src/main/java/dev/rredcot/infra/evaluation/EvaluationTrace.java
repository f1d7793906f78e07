package dev.rredcot.infra.evaluation;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.schemas.Rollout;
import java.util.List;
import java.util.OptionalInt;

/**
 * One held-out rollout under evaluation, with the problem it answers, its difficulty (number of
 * steps) and every rollout of its group (same prompt), which the bank estimator and the GRPO
 * baseline read.
 *
 * @param rollout the evaluated trace
 * @param problem its problem
 * @param steps difficulty level
 * @param group all rollouts sampled for the prompt, {@code rollout} among them
 * @param lostAt for a wrong trace, the line where it was lost ({@link
 *     BuiltInTask#localisationTruth}); empty for a correct one
 */
public record EvaluationTrace(
    Rollout rollout, Problem problem, int steps, List<Rollout> group, OptionalInt lostAt) {

  /** Copies. */
  public EvaluationTrace {
    group = List.copyOf(group);
  }

  /** Whether the verifier gave reward 1. */
  public boolean correct() {
    return rollout.getReward() >= 1.0;
  }
}
