package dev.rredcot.model.trainer;

import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.schemas.CreditedRollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one trainer step consumes, taken from complete groups: every member is consumed (and logged
 * as trained if the step runs), but only members with a non-zero advantage on some token become a
 * {@link TrainExample}; a group none of whose members has one carries no learning signal.
 *
 * @param groupIds the groups, in batch order
 * @param rolloutIds every member's rollout id, in batch order
 * @param records every member, in batch order
 * @param examples the members that carry a gradient, as the policy trains on them
 * @param zeroSignalGroups how many groups had no member with a non-zero advantage
 * @param meanReward the mean reward over every member
 * @param oldestBehaviourVersion the oldest version that sampled a member, at most {@code
 *     policyVersion} given to {@link #of}
 */
record TrainingBatch(
    List<String> groupIds,
    List<String> rolloutIds,
    List<CreditedRollout> records,
    List<TrainExample> examples,
    int zeroSignalGroups,
    double meanReward,
    long oldestBehaviourVersion) {

  /** Copies the lists. */
  TrainingBatch {
    groupIds = List.copyOf(groupIds);
    rolloutIds = List.copyOf(rolloutIds);
    records = List.copyOf(records);
    examples = List.copyOf(examples);
  }

  /**
   * The batch of {@code groups} for a policy at {@code policyVersion}.
   *
   * @param groups complete groups, each with at least one member
   * @param policyVersion the version about to be trained (the bound of the oldest behaviour
   *     version)
   */
  static TrainingBatch of(List<GroupBuffer.Group> groups, long policyVersion) {
    List<String> groupIds = new ArrayList<>();
    List<String> rolloutIds = new ArrayList<>();
    List<CreditedRollout> records = new ArrayList<>();
    List<TrainExample> examples = new ArrayList<>();
    int zeroSignal = 0;
    double rewardSum = 0;
    long oldestBehaviour = policyVersion;
    for (GroupBuffer.Group group : groups) {
      groupIds.add(group.groupId());
      boolean signal = false;
      for (CreditedRollout record : group.members()) {
        rolloutIds.add(record.getRolloutId());
        records.add(record);
        rewardSum += record.getReward();
        oldestBehaviour = Math.min(oldestBehaviour, record.getPolicyVersion());
        float[] advantages = toFloats(record.getTokenAdvantages());
        if (anyNonZero(advantages)) {
          signal = true;
          examples.add(
              new TrainExample(
                  record.getPromptText(),
                  toInts(record.getTokenIds()),
                  advantages,
                  toFloats(record.getLogProbs())));
        }
      }
      if (!signal) {
        zeroSignal++;
      }
    }
    double meanReward = records.isEmpty() ? 0 : rewardSum / records.size();
    return new TrainingBatch(
        groupIds, rolloutIds, records, examples, zeroSignal, meanReward, oldestBehaviour);
  }

  /**
   * The metrics a checkpoint of this step carries: the step's own figures, and the batch's sizes.
   * {@code rollouts} counts every member the step consumed, the signal-free groups' included (what
   * a learning curve counts against); {@code traces} only those that carried a gradient.
   *
   * @param result the step's result
   * @param parentVersion the version the step trained from
   */
  Map<String, Double> stepMetrics(TrainStepResult result, long parentVersion) {
    Map<String, Double> metrics = new TreeMap<>();
    metrics.put("loss", result.loss());
    metrics.put("kl", result.kl());
    metrics.put("clip_fraction", result.clipFraction());
    metrics.put("grad_norm", result.gradNorm());
    metrics.put("tokens", (double) result.tokens());
    metrics.put("traces", (double) examples.size());
    metrics.put("rollouts", (double) rolloutIds.size());
    metrics.put("groups", (double) groupIds.size());
    metrics.put("mean_reward", meanReward);
    metrics.put("importance_weight_mean", result.meanImportanceWeight());
    metrics.put("importance_weight_truncated_fraction", result.truncatedFraction());
    metrics.put("log_ratio_clamped_fraction", result.clampedFraction());
    metrics.put("epochs", (double) result.epochs());
    metrics.put("behaviour_lag_max_versions", (double) (parentVersion - oldestBehaviourVersion));
    return metrics;
  }

  private static boolean anyNonZero(float[] values) {
    for (float v : values) {
      if (v != 0) {
        return true;
      }
    }
    return false;
  }

  private static int[] toInts(List<Integer> values) {
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
