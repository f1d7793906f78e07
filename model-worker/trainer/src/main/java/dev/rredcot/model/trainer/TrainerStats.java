package dev.rredcot.model.trainer;

import java.util.Map;

/**
 * Counters and last-step figures of a trainer; counters are cumulative across restarts.
 *
 * @param policyVersion version of the trainer's current policy
 * @param steps optimiser steps taken (each wrote one checkpoint)
 * @param rolloutsConsumed credited rollouts read (every record offered, duplicates included)
 * @param rolloutsTrained rollouts that were part of a trained batch
 * @param duplicatesIgnored records ignored because their rollout (or group) was seen already
 * @param staleDropped records dropped for being more than S versions behind
 * @param staleKept stale records kept under {@link StalenessMode#IMPORTANCE_WEIGHT}
 * @param invalidRecords records rejected as malformed (lengths differ, empty trace, ...)
 * @param zeroSignalGroups complete groups whose advantages were all zero (nothing to train on)
 * @param staleByReason stale records by reason ({@code dropped-on-arrival}, {@code
 *     dropped-while-pending}, {@code kept-importance-weighted})
 * @param deadLettersByReason records sent to dead letters by reason (the dead letter's reason)
 * @param pendingGroups groups buffered now (incomplete, or complete and waiting for a batch)
 * @param lastLoss loss of the last step (NaN before the first)
 * @param lastKl KL of the last step
 * @param lastClipFraction clip fraction of the last step
 * @param lastHeldOutAccuracy sampled held-out accuracy of the last evaluation (NaN if none)
 */
public record TrainerStats(
    long policyVersion,
    long steps,
    long rolloutsConsumed,
    long rolloutsTrained,
    long duplicatesIgnored,
    long staleDropped,
    long staleKept,
    long invalidRecords,
    long zeroSignalGroups,
    Map<String, Long> staleByReason,
    Map<String, Long> deadLettersByReason,
    int pendingGroups,
    double lastLoss,
    double lastKl,
    double lastClipFraction,
    double lastHeldOutAccuracy) {

  /** Copies the maps. */
  public TrainerStats {
    staleByReason = Map.copyOf(staleByReason);
    deadLettersByReason = Map.copyOf(deadLettersByReason);
  }

  /** Records sent to dead letters, all reasons together. */
  public long deadLetters() {
    return deadLettersByReason.values().stream().mapToLong(Long::longValue).sum();
  }
}
