package dev.rredcot.model.policy;

/**
 * Metrics of one optimiser step.
 *
 * @param loss objective value before the update (clipped surrogate plus KL term)
 * @param clipFraction share of tokens whose ratio left [1-eps, 1+eps] on the side that clips
 * @param kl mean k3 estimate of KL(policy || reference) per token (0 without a reference)
 * @param gradNorm global gradient L2 norm before clipping
 * @param tokens number of trace tokens in the batch
 */
public record TrainStepResult(
    double loss, double clipFraction, double kl, double gradNorm, long tokens) {}
