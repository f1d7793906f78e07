package dev.rredcot.model.rollout;

import java.util.Objects;

/**
 * Ids of GRPO groups and rollouts, built only from what a retry sees again (prompt id, attempt,
 * sample index): not from the policy version or the time, so a prompt's sampling attempt keeps its
 * ids across worker restarts and checkpoint swaps and consumers can deduplicate on them.
 *
 * <p>{@code groupId = promptId + "#" + attempt}, {@code rolloutId = groupId + "/" + sampleIndex}.
 */
public final class RolloutIds {

  /** Prompt metadata key the feeder sets when it sends a prompt again on purpose (a new round). */
  public static final String ATTEMPT_METADATA_KEY = "attempt";

  private RolloutIds() {}

  /** The group id of {@code promptId} sampled in round {@code attempt}, by any policy version. */
  public static String groupId(String promptId, int attempt) {
    Objects.requireNonNull(promptId, "promptId");
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must be >= 0, got " + attempt);
    }
    return promptId + "#" + attempt;
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
