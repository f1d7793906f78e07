package dev.rredcot.pipelines.value;

import java.util.Locale;

/**
 * Where the state values v_0..v_K come from; the lower-case name is the option value. Each option
 * that needs the policy has one estimator class, chosen in {@code BoundaryValueEstimator.of}.
 */
public enum ValueEstimator {
  /**
   * No value model: only single-segment traces, with v_0 = the group's mean reward (GRPO's
   * baseline) and v_1 = the reward, so the one segment reward is the GRPO numerator.
   */
  NONE,
  /** Policy answer probability p(y* | s_k, cue) (METHOD.md §2); needs the policy. */
  ANSWER,
  /** Continuation-bank importance estimate (METHOD.md §2); needs the policy. */
  BANK,
  /** Monte Carlo continuations from each boundary, verified with the task (baseline). */
  MC,
  /** Leave-one-out attribution mapped to boundary values (see {@link ValueScorer}; baseline). */
  LOO,
  /** Gradient × input attribution mapped to boundary values (see {@link ValueScorer}; baseline). */
  GRADIENT,
  /**
   * The exact oracle's value ({@code TaskFamily.solvableAfter}): 1 while every line is valid and
   * the answer still reachable, else 0. The value of a perfect player, not of the policy; only
   * families with an oracle (countdown). A diagnostic, not a method.
   */
  REACH,
  /**
   * {@code reach*mc}: 0 exactly where the oracle says the trace is lost, Monte Carlo values (M
   * samples) elsewhere: the policy's own value with the noise taken out of doomed prefixes.
   */
  REACH_MC;

  /** The option value: the lower-case name, {@code reach-mc} for {@link #REACH_MC}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Whether the value stage scores a group's traces together in one backend call (the bank and
   * answer probability), so a group's cost is shared by its members; otherwise each trace is scored
   * in calls of its own.
   */
  public boolean scoresGroupsTogether() {
    return needsPolicy() && BoundaryValueEstimator.of(this).batchesTraces();
  }

  /** Whether estimating values needs the policy model. */
  public boolean needsPolicy() {
    return this != NONE;
  }

  /** Parses an option value; the error lists the valid ones. */
  public static ValueEstimator fromOption(String value) {
    for (ValueEstimator estimator : values()) {
      if (estimator.optionValue().equals(value)) {
        return estimator;
      }
    }
    throw new IllegalArgumentException(
        "unknown valueEstimator '"
            + value
            + "': use none, answer, bank, mc, loo, gradient, reach or reach-mc");
  }
}
