package dev.rredcot.model.loading;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.llama.HuggingFaceLlama;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.TrainablePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a checkpoint of the store as the policy kind that wrote it, whichever the trainer trains:
 * the built-in transformer ({@value Policy#PARAMS_FILE}) or a Llama-family model saved as a Hugging
 * Face directory ({@code config.json} + safetensors). The trainer resumes, rollout workers follow
 * and the value stage scores through this one entry, so every one of them loads what the trainer
 * wrote.
 */
public final class PolicyCheckpoints {

  private PolicyCheckpoints() {}

  /**
   * Verifies {@code checkpoint} against its manifest and loads it as its version.
   *
   * @throws dev.rredcot.model.checkpoint.CheckpointVerificationException when the directory does
   *     not match its manifest
   * @throws IOException when it holds neither kind or a file does not fit
   */
  public static TrainablePolicy load(Checkpoint checkpoint) throws IOException {
    Path dir = checkpoint.dir();
    if (Files.isRegularFile(dir.resolve(Policy.PARAMS_FILE))) {
      return Policy.load(checkpoint);
    }
    if (HuggingFaceLlama.recognises(dir)) {
      return LlamaPolicy.load(checkpoint);
    }
    // Verify first: a checkpoint that lost its files says so as a verification failure.
    CheckpointStore.verify(dir, checkpoint.manifestSha256());
    throw new IOException(
        dir
            + " holds no policy: expected "
            + Policy.PARAMS_FILE
            + " (built-in) or "
            + HuggingFaceLlama.CONFIG_FILE
            + " + safetensors (Llama family)");
  }

  /**
   * {@code model} as a policy the trainer can train (a Llama wrapped in a {@link LlamaPolicy},
   * which then owns it), or an error naming what it is instead.
   *
   * @throws IllegalArgumentException when {@code model} cannot be trained
   */
  public static TrainablePolicy trainable(PolicyBackend model) {
    if (model instanceof TrainablePolicy trainable) {
      return trainable;
    }
    if (model instanceof LlamaCausalLm llama) {
      return new LlamaPolicy(llama);
    }
    throw new IllegalArgumentException(
        model.description()
            + " cannot be trained here (only the built-in and Llama-family models)");
  }
}
