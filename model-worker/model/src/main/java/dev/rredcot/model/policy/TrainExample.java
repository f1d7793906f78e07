package dev.rredcot.model.policy;

import java.util.Objects;

/**
 * One trace for a policy-gradient step.
 *
 * @param prompt prompt text
 * @param traceTokens the sampled trace tokens
 * @param advantages per trace token coefficient A_{i,t}
 * @param behaviourLogProbs log-probabilities of the tokens under the policy that sampled them
 */
public record TrainExample(
    String prompt, int[] traceTokens, float[] advantages, float[] behaviourLogProbs) {

  /** Validates and copies. */
  public TrainExample {
    Objects.requireNonNull(prompt, "prompt");
    traceTokens = Objects.requireNonNull(traceTokens, "traceTokens").clone();
    advantages = Objects.requireNonNull(advantages, "advantages").clone();
    behaviourLogProbs = Objects.requireNonNull(behaviourLogProbs, "behaviourLogProbs").clone();
    if (advantages.length != traceTokens.length || behaviourLogProbs.length != traceTokens.length) {
      throw new IllegalArgumentException(
          "advantages ("
              + advantages.length
              + ") and behaviourLogProbs ("
              + behaviourLogProbs.length
              + ") must have one entry per trace token ("
              + traceTokens.length
              + ")");
    }
  }
}
