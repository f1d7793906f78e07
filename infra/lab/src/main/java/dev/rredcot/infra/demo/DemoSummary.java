package dev.rredcot.infra.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.rollout.RolloutWorkerStats;
import dev.rredcot.model.trainer.TrainerStats;
import java.util.Map;

/**
 * What a demo run did, as written to {@code summary.json}: accuracy before and after on the same
 * held-out prompts, and the loop's counters. An interrupted run (Ctrl-C) has no final evaluation:
 * its final accuracies are NaN and its final policy version is the trainer's.
 */
public record DemoSummary(
    @JsonProperty("credit") String credit,
    @JsonProperty("initial_accuracy") double initialAccuracy,
    @JsonProperty("final_accuracy") double finalAccuracy,
    @JsonProperty("initial_greedy_accuracy") double initialGreedyAccuracy,
    @JsonProperty("final_greedy_accuracy") double finalGreedyAccuracy,
    @JsonProperty("final_policy_version") long finalPolicyVersion,
    @JsonProperty("heldout_prompts") int heldOutPrompts,
    @JsonProperty("heldout_samples_per_prompt") int heldOutSamplesPerPrompt,
    @JsonProperty("rollouts") long rollouts,
    @JsonProperty("rollouts_credited") long rolloutsCredited,
    @JsonProperty("rollouts_trained") long rolloutsTrained,
    @JsonProperty("training_steps") long trainingSteps,
    @JsonProperty("checkpoints_published") long checkpointsPublished,
    @JsonProperty("dead_letters") long deadLetters,
    @JsonProperty("dead_letters_by_reason") Map<String, Long> deadLettersByReason,
    @JsonProperty("duplicates_ignored") long duplicatesIgnored,
    @JsonProperty("stale_dropped") long staleDropped,
    @JsonProperty("checkpoints_adopted_by_worker") long checkpointsAdoptedByWorker,
    @JsonProperty("wall_s") double wallS,
    @JsonProperty("interrupted") boolean interrupted) {

  /** {@code last} null: the run was interrupted before its final evaluation. */
  static DemoSummary of(
      DemoSettings settings,
      EvaluationResult initial,
      EvaluationResult last,
      RolloutWorkerStats worker,
      TrainerStats trainer,
      StreamObserver.Snapshot stream,
      double wallS) {
    // The initial policy's own announcement is on the topic too: it is not a publication.
    long published = stream.curve().stream().filter(point -> point.version() > 0).count();
    return new DemoSummary(
        settings.credit(),
        initial.sampledAccuracy(),
        last == null ? Double.NaN : last.sampledAccuracy(),
        initial.greedyAccuracy(),
        last == null ? Double.NaN : last.greedyAccuracy(),
        last == null ? trainer.policyVersion() : last.policyVersion(),
        initial.prompts(),
        initial.samplesPerPrompt(),
        worker.rolloutsPublished(),
        stream.credited(),
        trainer.rolloutsTrained(),
        trainer.steps(),
        published,
        stream.deadLetters(),
        stream.deadLettersByReason(),
        trainer.duplicatesIgnored(),
        trainer.staleDropped(),
        worker.checkpointsAdopted(),
        wallS,
        last == null);
  }

  /** Held-out accuracy gained, in points. */
  public double accuracyGainPoints() {
    return 100 * (finalAccuracy - initialAccuracy);
  }
}
