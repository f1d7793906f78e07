package dev.rredcot.model.trainer;

/**
 * Figures of one step of the {@link InProcessGrpoLoop}.
 *
 * @param step 1-based step number
 * @param meanReward mean verified reward of all traces sampled in the step
 * @param informativeGroups groups whose rewards were not all equal (the only ones trained on)
 * @param trainedTraces traces in the policy-gradient batch
 * @param loss loss of the step's last update (NaN when nothing was trained)
 * @param kl mean k3 KL to the reference of the last update (0 without one)
 * @param clipFraction clip fraction of the last update
 * @param generateMs wall time of sampling and verification
 * @param trainMs wall time of the policy-gradient updates
 */
public record GrpoStepRecord(
    int step,
    double meanReward,
    int informativeGroups,
    int trainedTraces,
    double loss,
    double kl,
    double clipFraction,
    long generateMs,
    long trainMs) {}
