package dev.rredcot.infra.evaluation;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A tiny random policy saved as a checkpoint store, so end-to-end tests run in seconds. */
final class TinyStartingPolicy {
  private TinyStartingPolicy() {}

  static Path store(Path root) throws IOException {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    try (Policy policy =
        Policy.create(new ModelConfig(tokenizer.vocabSize(), 32, 2, 1, 64, 128), tokenizer, 3)) {
      policy.save(new CheckpointStore(root, 10), 0, null, Map.of());
    }
    return root;
  }
}
