package dev.rredcot.infra.evaluation;

import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.value.ValueEstimator;

/**
 * One credit method compared by {@link CreditEvaluation}: a pipeline value source ({@link
 * ValueSource}) under a summary name, or the flat GRPO baseline, whose every boundary value before
 * the end is the group's mean reward.
 *
 * @param name the name in {@code summary.json}, e.g. {@code rredcot-answer}, {@code mc4}
 * @param values where the values come from; {@link ValueSource#none()} for the flat GRPO baseline
 * @param calibrated whether the values are calibrated per group to its mean reward as {@code
 *     rredcot-rudder-calibrated} calibrates them ({@link TokenAdvantages#calibratedValues})
 */
public record CreditMethod(String name, ValueSource values, boolean calibrated) {

  /** The flat GRPO baseline. */
  public static CreditMethod grpo() {
    return new CreditMethod("grpo", ValueSource.none(), false);
  }

  /** A policy estimator with no options under {@code name}. */
  public static CreditMethod of(String name, ValueEstimator estimator) {
    return new CreditMethod(
        name, new ValueSource(name, estimator, 0, false, false, 0, false), false);
  }

  /** The value source called {@code source} ({@link ValueSource#parse}) under {@code name}. */
  public static CreditMethod of(String name, String source) {
    return new CreditMethod(name, ValueSource.parse(source), false);
  }

  /** The value source called {@code source}, calibrated per group, under {@code name}. */
  public static CreditMethod calibrated(String name, String source) {
    return new CreditMethod(name, ValueSource.parse(source), true);
  }

  /** The Monte Carlo estimator with M = {@code samples}, named {@code mc<M>}. */
  public static CreditMethod monteCarlo(int samples) {
    return new CreditMethod("mc" + samples, ValueSource.monteCarlo(samples, false), false);
  }

  /** The pipeline estimator. */
  public ValueEstimator estimator() {
    return values.estimator();
  }

  /** Whether this is the flat GRPO baseline. */
  public boolean flat() {
    return !values.needsModel();
  }
}
