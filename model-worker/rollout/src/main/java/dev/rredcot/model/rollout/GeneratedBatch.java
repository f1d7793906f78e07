package dev.rredcot.model.rollout;

import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.Rollout;
import java.util.List;

/**
 * Output of {@link RolloutGenerator#generate}: the rollouts, and the prompts it could not serve.
 *
 * @param policyVersion version of the policy that sampled the rollouts
 * @param rollouts G rollouts per served prompt, grouped by prompt in input order
 * @param rejected prompts that were not sampled, each with the reason
 */
public record GeneratedBatch(long policyVersion, List<Rollout> rollouts, List<Rejected> rejected) {

  /** Copies the lists. */
  public GeneratedBatch {
    rollouts = List.copyOf(rollouts);
    rejected = List.copyOf(rejected);
  }

  /**
   * A prompt the generator refused.
   *
   * @param prompt the prompt
   * @param reason why, e.g. an unknown task family
   */
  public record Rejected(Prompt prompt, String reason) {}
}
