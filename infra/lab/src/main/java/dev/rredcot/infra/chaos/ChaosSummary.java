package dev.rredcot.infra.chaos;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What a {@link ChaosRun} did and found, as written to {@code summary.json}: the kills by kind and
 * the overlapping faults, the prompts by id, the audit by rollout id, and the recovery time of each
 * kind.
 *
 * @param rolloutsTarget rollouts asked for (whole groups)
 * @param seed the seed of the kill schedule
 * @param flink where the credit job ran: {@code embedded} (its own JVM) or {@code cluster} (a
 *     standalone session cluster, whose TaskManager was killed)
 * @param kills SIGKILLs by kind (pipeline or taskmanager, trainer, worker, broker, feeder), those
 *     in overlaps included
 * @param overlaps the overlapping faults that happened, each {@code kind+kind} in order of kill
 * @param unplannedRestarts processes found dead without a planned kill and started again, by kind
 * @param promptsExpected prompts the feeder's fixed set holds
 * @param promptsOnTopic distinct prompts (id and attempt) on {@code prompts}
 * @param promptsDoubled prompts with more than one record on {@code prompts}
 * @param promptsMissing prompts of the set not on {@code prompts}
 * @param produced distinct rollout ids on {@code rollouts}
 * @param credited distinct rollout ids on {@code credited-rollouts}
 * @param trained distinct rollout ids in the trainer's trained-rollouts log
 * @param lost produced ids neither trained, stale nor dead-lettered
 * @param trainedTwice rollout ids listed more than once in the trained-rollouts log
 * @param stale produced ids dropped for staleness and not trained
 * @param deadLetters produced ids with a dead letter and neither trained nor stale
 * @param deadLettersByReason those dead letters by {@code stage/reason}
 * @param recoveryS the longest time, by kind, from a kill to the next progress of that process's
 *     work (null when no progress followed)
 * @param recoveryInOverlapsS the same, over the kills of overlapping faults only
 * @param unrecovered kills, by kind, after which that process's work had not progressed when the
 *     run moved on (240 s after the restart) or ended: not in {@code recoveryS}
 * @param complete every produced rollout accounted for before the timeout
 * @param wallS the run's wall time in seconds
 */
public record ChaosSummary(
    @JsonProperty("rollouts_target") int rolloutsTarget,
    @JsonProperty("seed") long seed,
    @JsonProperty("flink") String flink,
    @JsonProperty("kills") Map<String, Integer> kills,
    @JsonProperty("overlaps") List<String> overlaps,
    @JsonProperty("unplanned_restarts") Map<String, Integer> unplannedRestarts,
    @JsonProperty("prompts_expected") int promptsExpected,
    @JsonProperty("prompts_on_topic") int promptsOnTopic,
    @JsonProperty("prompts_doubled") int promptsDoubled,
    @JsonProperty("prompts_missing") int promptsMissing,
    @JsonProperty("produced") int produced,
    @JsonProperty("credited") int credited,
    @JsonProperty("trained") int trained,
    @JsonProperty("lost") int lost,
    @JsonProperty("trained_twice") int trainedTwice,
    @JsonProperty("stale") int stale,
    @JsonProperty("dead_letters") int deadLetters,
    @JsonProperty("dead_letters_by_reason") Map<String, Integer> deadLettersByReason,
    @JsonProperty("recovery_s") Map<String, Double> recoveryS,
    @JsonProperty("recovery_in_overlaps_s") Map<String, Double> recoveryInOverlapsS,
    @JsonProperty("unrecovered") Map<String, Integer> unrecovered,
    @JsonProperty("complete") boolean complete,
    @JsonProperty("wall_s") double wallS) {}
