package dev.rredcot.infra.evaluation;

import dev.rredcot.pipelines.value.ValueEstimator;

/**
 * One credit method compared by {@link CreditEvaluation}: a pipeline value estimator (with its
 * Monte Carlo sample count for {@code mc}) or the flat GRPO baseline, whose every boundary value
 * before the end is the group's mean reward.
 *
 * @param name the name in {@code summary.json}, e.g. {@code rredcot-answer}, {@code mc4}
 * @param estimator the pipeline estimator; null for the flat GRPO baseline
 * @param mcSamples M for {@code mc}; 0 otherwise
 */
public record CreditMethod(String name, ValueEstimator estimator, int mcSamples) {

  /** The flat GRPO baseline. */
  public static CreditMethod grpo() {
    return new CreditMethod("grpo", null, 0);
  }

  /** A policy estimator under {@code name}. */
  public static CreditMethod of(String name, ValueEstimator estimator) {
    return new CreditMethod(name, estimator, 0);
  }

  /** The Monte Carlo estimator with M = {@code samples}, named {@code mc<M>}. */
  public static CreditMethod monteCarlo(int samples) {
    return new CreditMethod("mc" + samples, ValueEstimator.MC, samples);
  }

  /** Whether this is the flat GRPO baseline. */
  public boolean flat() {
    return estimator == null;
  }
}
