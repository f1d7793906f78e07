package dev.rredcot.infra.evaluation;

/**
 * One method's credit for one evaluated trace next to the ground truth, or why it has none.
 *
 * @param trace the evaluated trace
 * @param boundaries token boundaries b_0..b_K
 * @param charBoundaries the same boundaries as character offsets of the trace text
 * @param values the method's v_0..v_{K-1} (the terminal value is the reward for every method, so it
 *     is left out of the correlation), or null on failure
 * @param truthValues ground-truth v_0..v_{K-1}
 * @param rewards the method's segment rewards r_1..r_K after redistribution with v_K = ζ
 * @param truthRewards ground-truth segment rewards
 * @param forwardTokens model forward tokens the method spent on this trace
 * @param wallMs wall time the method spent on this trace
 * @param failureReason dead-letter reason when the method gave no values, else null
 */
public record TraceCreditOutcome(
    EvaluationTrace trace,
    int[] boundaries,
    int[] charBoundaries,
    double[] values,
    double[] truthValues,
    double[] rewards,
    double[] truthRewards,
    long forwardTokens,
    double wallMs,
    String failureReason) {

  /** Whether the method produced credit for the trace. */
  public boolean scored() {
    return failureReason == null;
  }

  /** Values paired with the truth's. */
  public PairedSample valuePairs() {
    return new PairedSample(values, truthValues);
  }

  /** Segment rewards paired with the truth's. */
  public PairedSample rewardPairs() {
    return new PairedSample(rewards, truthRewards);
  }
}
