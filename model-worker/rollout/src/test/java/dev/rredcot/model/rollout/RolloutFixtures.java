package dev.rredcot.model.rollout;

import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;

/** Tiny policies for rollout tests. */
final class RolloutFixtures {

  private RolloutFixtures() {}

  static Policy tinyPolicy(long seed) {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    return Policy.create(
        ModelConfig.builder()
            .setVocabSize(tokenizer.vocabSize())
            .optDModel(16)
            .optHeads(2)
            .optLayers(1)
            .optDFF(32)
            .optMaxContext(48)
            .build(),
        tokenizer,
        seed);
  }
}
