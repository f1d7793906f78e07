package dev.rredcot.model.policy;

/**
 * Metrics of one {@link Policy#trainStep} (one batch, one or more optimiser updates).
 *
 * @param loss objective value before the first update (clipped, importance-weighted surrogate plus
 *     KL term)
 * @param clipFraction share of token updates (tokens times epochs run) whose ratio to the proximal
 *     policy left [1-eps, 1+eps] on the side that clips
 * @param kl mean k3 estimate of KL(policy || reference) per token before the first update (0
 *     without a reference)
 * @param gradNorm largest global gradient L2 norm before clipping over the epochs run
 * @param tokens number of trace tokens in the batch
 * @param meanImportanceWeight mean over tokens of the truncated behaviour weight {@code min(π_prox
 *     / μ, cap)}: 1 for fresh rollouts
 * @param truncatedFraction share of tokens whose behaviour weight was cut at the cap
 * @param clampedFraction share of tokens whose proximal-to-behaviour log-ratio was beyond the
 *     log-ratio bound and clamped
 * @param epochs optimiser updates applied (fewer than asked when a later epoch's gradient was not
 *     finite)
 */
public record TrainStepResult(
    double loss,
    double clipFraction,
    double kl,
    double gradNorm,
    long tokens,
    double meanImportanceWeight,
    double truncatedFraction,
    double clampedFraction,
    int epochs) {}
