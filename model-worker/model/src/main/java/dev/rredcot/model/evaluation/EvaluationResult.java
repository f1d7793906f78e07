package dev.rredcot.model.evaluation;

/**
 * Held-out accuracy of one policy version.
 *
 * @param policyVersion version of the evaluated policy
 * @param prompts number of held-out prompts
 * @param samplesPerPrompt traces sampled per prompt at the rollout temperature
 * @param sampledAccuracy mean correctness over all sampled traces
 * @param greedyAccuracy share of prompts whose greedy (temperature 0) trace is correct
 * @param wellFormedRate share of sampled traces with a well-formed answer line
 * @param wallTimeMs wall time of the evaluation in milliseconds
 */
public record EvaluationResult(
    long policyVersion,
    int prompts,
    int samplesPerPrompt,
    double sampledAccuracy,
    double greedyAccuracy,
    double wellFormedRate,
    long wallTimeMs) {}
