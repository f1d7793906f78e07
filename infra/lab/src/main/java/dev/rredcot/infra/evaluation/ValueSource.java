package dev.rredcot.infra.evaluation;

import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;

/**
 * Where an arm's or a credit method's state values come from: the value axis of a learning arm
 * {@code <rule>:<values>} and of the credit evaluation's methods. Names:
 *
 * <ul>
 *   <li>{@code none}: no values (GRPO);
 *   <li>{@code answer}: answer probability;
 *   <li>{@code bank}: the continuation bank as the pipeline ships it ({@link ModelSettings}
 *       defaults: splice check and greedy fill on); {@code bank+greedy}: the same, by the name it
 *       was measured under; {@code bank-aligned}: aligned remainders as they are (no splice check,
 *       no fill, own text kept); {@code bank-spliced}: remainders counted only where the spliced
 *       trace verifies, no fill (the shipped bank until 2026-12-07); {@code bank-spliced-loo}:
 *       that, with each trace's own text left out of its bank; {@code bank+reach}: the shipped bank
 *       plus the exact oracle's ways to finish from each prefix (a diagnostic of coverage, not a
 *       method);
 *   <li>{@code mc<M>}: the policy's own value, M sampled continuations per boundary (the ceiling at
 *       high M);
 *   <li>{@code reach}: the exact oracle's value (a perfect player's, not the policy's);
 *   <li>{@code reach*mc<M>}: 0 where the oracle says the trace is lost, {@code mc<M>} elsewhere.
 * </ul>
 *
 * @param name the name, as above
 * @param estimator the pipeline's estimator; {@link ValueEstimator#NONE} for {@code none}
 * @param mcSamples M for the Monte Carlo sources, else 0
 * @param spliceCheck the bank's splice check
 * @param leaveOwnOut the bank's leave-own-out
 * @param oracleSolutions the oracle's ways to finish added to the bank per prefix
 * @param greedyFill the bank's greedy fill of uncovered prefixes
 */
public record ValueSource(
    String name,
    ValueEstimator estimator,
    int mcSamples,
    boolean spliceCheck,
    boolean leaveOwnOut,
    int oracleSolutions,
    boolean greedyFill) {

  /** The oracle's ways to finish that {@code bank+reach} adds per prefix. */
  static final int ORACLE_SOLUTIONS = 32;

  private static final ModelSettings.Builder DEFAULTS =
      ModelSettings.builder().setCheckpointDir("unused");

  /** No values: GRPO. */
  public static ValueSource none() {
    return new ValueSource("none", ValueEstimator.NONE, 0, false, false, 0, false);
  }

  /** The shipped continuation bank. */
  public static ValueSource bank() {
    ModelSettings shipped = DEFAULTS.build();
    return new ValueSource(
        "bank",
        ValueEstimator.BANK,
        0,
        shipped.bankSpliceCheck(),
        shipped.bankLeaveOwnOut(),
        shipped.bankOracleSolutions(),
        shipped.bankGreedyFill());
  }

  /** Monte Carlo with {@code samples} per boundary, gated by the oracle when {@code gated}. */
  public static ValueSource monteCarlo(int samples, boolean gated) {
    return new ValueSource(
        (gated ? "reach*mc" : "mc") + samples,
        gated ? ValueEstimator.REACH_MC : ValueEstimator.MC,
        samples,
        false,
        false,
        0,
        false);
  }

  /**
   * The source called {@code name} (see the type's Javadoc); the error lists the valid names.
   *
   * @throws IllegalArgumentException for an unknown name or a sample count below 1
   */
  public static ValueSource parse(String name) {
    switch (name) {
      case "none":
        return none();
      case "answer":
        return new ValueSource(name, ValueEstimator.ANSWER, 0, false, false, 0, false);
      case "bank":
        return bank();
      case "bank-aligned":
        return new ValueSource(name, ValueEstimator.BANK, 0, false, false, 0, false);
      case "bank-spliced":
        return new ValueSource(name, ValueEstimator.BANK, 0, true, false, 0, false);
      case "bank-spliced-loo":
        return new ValueSource(name, ValueEstimator.BANK, 0, true, true, 0, false);
      case "bank+reach":
        return bank().withBank(name, ORACLE_SOLUTIONS, bank().greedyFill());
      case "bank+greedy":
        return bank().withBank(name, bank().oracleSolutions(), true);
      case "reach":
        return new ValueSource(name, ValueEstimator.REACH, 0, false, false, 0, false);
      default:
        if (name.startsWith("reach*mc")) {
          return monteCarlo(samples(name, "reach*mc"), true);
        }
        if (name.startsWith("mc")) {
          return monteCarlo(samples(name, "mc"), false);
        }
        throw new IllegalArgumentException(
            "unknown values '"
                + name
                + "': use none, answer, bank, bank-aligned, bank-spliced, bank-spliced-loo,"
                + " bank+greedy, bank+reach, mc<M>, reach or reach*mc<M> (e.g. mc16, reach*mc16)");
    }
  }

  /** This bank source, renamed, with the oracle's ways to finish and the greedy fill as given. */
  private ValueSource withBank(String newName, int solutions, boolean fill) {
    return new ValueSource(
        newName, estimator, mcSamples, spliceCheck, leaveOwnOut, solutions, fill);
  }

  private static int samples(String name, String prefix) {
    try {
      int samples = Integer.parseInt(name.substring(prefix.length()));
      if (samples >= 1) {
        return samples;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        "values '"
            + name
            + "' need a sample count >= 1 after "
            + prefix
            + " (e.g. "
            + prefix
            + "8)");
  }

  /** Whether the values need the policy (or, for {@code reach}, the value stage at all). */
  public boolean needsModel() {
    return estimator.needsPolicy();
  }

  /** {@code settings} with this source's Monte Carlo and bank settings applied. */
  public ModelSettings.Builder applyTo(ModelSettings.Builder settings) {
    return settings
        .optMcSamples(Math.max(1, mcSamples))
        .optBankSpliceCheck(spliceCheck)
        .optBankLeaveOwnOut(leaveOwnOut)
        .optBankOracleSolutions(oracleSolutions)
        .optBankGreedyFill(greedyFill);
  }
}
