package dev.rredcot.model.rollout;

import java.util.Objects;

/**
 * Ids of GRPO groups and rollouts, built only from what a retry sees again (prompt id, policy
 * version, attempt, sample index), so a re-sampled group keeps its ids and consumers can
 * deduplicate on them.
 *
 * <p>{@code groupId = promptId + "@v" + policyVersion + "#" + attempt}, {@code rolloutId = groupId
 * + "/" + sampleIndex}.
 */
public final class RolloutIds {

  /** Prompt metadata key the feeder sets when it sends a prompt again on purpose (a new round). */
  public static final String ATTEMPT_METADATA_KEY = "attempt";

  private RolloutIds() {}

  /** The group id of {@code promptId} sampled by {@code policyVersion} in round {@code attempt}. */
  public static String groupId(String promptId, long policyVersion, int attempt) {
    Objects.requireNonNull(promptId, "promptId");
    if (policyVersion < 0 || attempt < 0) {
      throw new IllegalArgumentException(
          "policyVersion and attempt must be >= 0, got " + policyVersion + " and " + attempt);
    }
    return promptId + "@v" + policyVersion + "#" + attempt;
  }

  /** The id of sample {@code sampleIndex} of group {@code groupId}. */
  public static String rolloutId(String groupId, int sampleIndex) {
    Objects.requireNonNull(groupId, "groupId");
    if (sampleIndex < 0) {
      throw new IllegalArgumentException("sampleIndex must be >= 0, got " + sampleIndex);
    }
    return groupId + "/" + sampleIndex;
  }
}
