package dev.rredcot.model.rollout;

/**
 * Counters of a rollout worker.
 *
 * @param policyVersion version of the policy it samples with (-1 while waiting for one)
 * @param batches generation batches published
 * @param promptsServed prompts whose group was published and whose offset was committed
 * @param rolloutsPublished rollouts acknowledged by the broker
 * @param promptsRejected prompts sent to dead letters (undecodable, unknown task family, ...)
 * @param checkpointsAdopted announcements adopted
 * @param checkpointsRejected announcements that failed verification or loading
 * @param publishFailures batches whose publishing failed (they are retried)
 */
public record RolloutWorkerStats(
    long policyVersion,
    long batches,
    long promptsServed,
    long rolloutsPublished,
    long promptsRejected,
    long checkpointsAdopted,
    long checkpointsRejected,
    long publishFailures) {}
