package dev.rredcot.pipelines.credit;

/**
 * The steps of a group's credit in order; {@link #stage()} is the name of the pipeline stage that
 * runs the step, written into its dead letters.
 */
public enum CreditStep {
  /** Cut every trace into segments. */
  SEGMENT("SegmentCoT"),
  /** State values v_0..v_K at the segment boundaries. */
  VALUES("EstimateValues"),
  /** RUDDER: v_K = ζ and r_k = v_k − v_{k−1}. */
  REDISTRIBUTE("RedistributeRewards"),
  /** Per-token advantages under the advantage rule. */
  ADVANTAGES("ComputeAdvantages");

  private final String stage;

  CreditStep(String stage) {
    this.stage = stage;
  }

  /** The pipeline stage name, e.g. {@code SegmentCoT}. */
  public String stage() {
    return stage;
  }
}
