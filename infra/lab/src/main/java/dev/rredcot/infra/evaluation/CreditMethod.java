package dev.rredcot.infra.evaluation;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.value.ValueEstimator;

/**
 * One credit method compared by {@link CreditEvaluation}: a pipeline value source ({@link
 * ValueSource}) under a summary name, or the flat GRPO baseline, whose every boundary value before
 * the end is the group's mean reward.
 *
 * @param name the name in {@code summary.json}, e.g. {@code rredcot-answer}, {@code mc4}
 * @param values where the values come from; {@link ValueSource#none()} for the flat GRPO baseline
 * @param calibration the calibrating rule whose per-group lift the values get ({@link
 *     TokenAdvantages#calibratedValues} to {@link TokenAdvantages#calibrationTarget}), or null
 */
public record CreditMethod(String name, ValueSource values, AdvantageRule calibration) {

  /** The flat GRPO baseline. */
  public static CreditMethod grpo() {
    return new CreditMethod("grpo", ValueSource.none(), null);
  }

  /** A policy estimator with no options under {@code name}. */
  public static CreditMethod of(String name, ValueEstimator estimator) {
    return new CreditMethod(
        name, new ValueSource(name, estimator, 0, false, false, 0, false), null);
  }

  /** The value source called {@code source} ({@link ValueSource#parse}) under {@code name}. */
  public static CreditMethod of(String name, String source) {
    return new CreditMethod(name, ValueSource.parse(source), null);
  }

  /** The value source called {@code source}, calibrated per group as {@code rule} does. */
  public static CreditMethod calibrated(String name, String source, AdvantageRule rule) {
    return new CreditMethod(name, ValueSource.parse(source), rule);
  }

  /** The Monte Carlo estimator with M = {@code samples}, named {@code mc<M>}. */
  public static CreditMethod monteCarlo(int samples) {
    return new CreditMethod("mc" + samples, ValueSource.monteCarlo(samples, false), null);
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
