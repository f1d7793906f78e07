package dev.rredcot.model.testing;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The tiny random policy every module's tests use (arithmetic tokenizer, d_model 32, 2 heads, 1
 * layer): fast enough that end-to-end tests run in seconds. Its outputs mean nothing; tests check
 * plumbing, shapes and exact equalities, never quality.
 */
public final class TinyPolicy {
  /** The tokenizer of every tiny policy. */
  public static final CharTokenizer TOKENIZER = CharTokenizer.arithmetic();

  /** The default longest context (prompt + trace) in tokens. */
  public static final int MAX_CONTEXT = 128;

  private TinyPolicy() {}

  /** The tiny architecture with room for {@code maxContext} tokens. */
  public static ModelConfig config(int maxContext) {
    return new ModelConfig(TOKENIZER.vocabSize(), 32, 2, 1, 64, maxContext);
  }

  /** A fresh random tiny policy; the caller closes it. */
  public static Policy create(long seed) {
    return create(MAX_CONTEXT, seed);
  }

  /** A fresh random tiny policy with room for {@code maxContext} tokens; the caller closes it. */
  public static Policy create(int maxContext, long seed) {
    return Policy.create(config(maxContext), TOKENIZER, seed);
  }

  /**
   * Saves a fresh random tiny policy as {@code version} into the checkpoint store at {@code root}.
   */
  public static Checkpoint save(Path root, long version, int maxContext, long seed)
      throws IOException {
    try (Policy policy = create(maxContext, seed)) {
      return policy.save(new CheckpointStore(root, 100), version, null, Map.of());
    }
  }

  /** A checkpoint store at {@code root} holding one tiny policy as version 0 (seed 3). */
  public static Path store(Path root) throws IOException {
    save(root, 0, MAX_CONTEXT, 3);
    return root;
  }
}
