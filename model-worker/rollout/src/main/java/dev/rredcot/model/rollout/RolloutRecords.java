package dev.rredcot.model.rollout;

import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.task.Verification;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@link Rollout} record of a verified sample: the one place that maps a policy's {@link
 * Sample} and the task's {@link Verification} onto the contract, for the rollout worker, the
 * evaluation and the benchmarks alike.
 */
public final class RolloutRecords {
  private RolloutRecords() {}

  /**
   * What every rollout of one GRPO group shares.
   *
   * @param groupId the group id (see {@link RolloutIds})
   * @param groupSize G, samples the group is meant to have
   * @param policyVersion version of the policy that sampled the group
   * @param taskFamily the task family's name
   * @param promptId the prompt's id
   * @param promptText the prompt text
   * @param referenceAnswer the verified correct answer
   * @param referenceSolution a correct reference trace, or null
   * @param createdAt when the group was sampled
   */
  public record Group(
      String groupId,
      int groupSize,
      long policyVersion,
      String taskFamily,
      String promptId,
      String promptText,
      String referenceAnswer,
      String referenceSolution,
      Instant createdAt) {}

  /**
   * The record of sample {@code sampleIndex} of {@code group}, verified as {@code verification}.
   */
  public static Rollout of(Group group, int sampleIndex, Sample sample, Verification verification) {
    return Rollout.newBuilder()
        .setRolloutId(RolloutIds.rolloutId(group.groupId(), sampleIndex))
        .setPromptId(group.promptId())
        .setGroupId(group.groupId())
        .setSampleIndex(sampleIndex)
        .setGroupSize(group.groupSize())
        .setPolicyVersion(group.policyVersion())
        .setTaskFamily(group.taskFamily())
        .setPromptText(group.promptText())
        .setTokenIds(boxed(sample.tokenIds()))
        .setText(sample.text())
        .setLogProbs(boxed(sample.logProbs()))
        .setEntropies(boxed(sample.entropies()))
        .setExtractedAnswer(verification.extractedAnswer().orElse(null))
        .setReferenceAnswer(group.referenceAnswer())
        .setReferenceSolution(group.referenceSolution())
        .setReward(verification.reward())
        .setCreatedAtMs(group.createdAt())
        .build();
  }

  private static List<Integer> boxed(int[] values) {
    List<Integer> out = new ArrayList<>(values.length);
    for (int v : values) {
      out.add(v);
    }
    return out;
  }

  private static List<Float> boxed(float[] values) {
    List<Float> out = new ArrayList<>(values.length);
    for (float v : values) {
      out.add(v);
    }
    return out;
  }
}
