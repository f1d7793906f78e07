package dev.rredcot.model.trainer;

import dev.rredcot.model.evaluation.EvaluationResult;
import java.util.List;

/**
 * What an {@link InProcessGrpoLoop} run did: per-step figures and held-out evaluations (the first
 * one before any training).
 *
 * @param steps one record per training step
 * @param evaluations held-out results, in order; the first is the starting policy
 * @param wallTimeMs total wall time, evaluations included
 * @param trainingWallTimeMs wall time of sampling and training only (evaluations excluded)
 */
public record GrpoLoopResult(
    List<GrpoStepRecord> steps,
    List<EvaluationResult> evaluations,
    long wallTimeMs,
    long trainingWallTimeMs) {

  /** Copies the lists. */
  public GrpoLoopResult {
    steps = List.copyOf(steps);
    evaluations = List.copyOf(evaluations);
  }

  /** Training steps per second of training wall time. */
  public double stepsPerSecond() {
    return trainingWallTimeMs == 0 ? 0 : steps.size() * 1000.0 / trainingWallTimeMs;
  }

  /** Sampled held-out accuracy of the last evaluation minus that of the first. */
  public double sampledAccuracyGain() {
    if (evaluations.isEmpty()) {
      return 0;
    }
    return evaluations.get(evaluations.size() - 1).sampledAccuracy()
        - evaluations.get(0).sampledAccuracy();
  }
}
