package dev.rredcot.pipelines.ingest;

import dev.rredcot.model.backend.llama.Llama2cDirectory;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.pretrain.ShippedPolicies;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.HuggingFaceTokenizerAdapter;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where {@link RolloutContract} finds the tokenizer that decodes a rollout's {@code tokenIds}: the
 * tokenizer of the policy that scores and trains them (a model or tokenizer directory, or the
 * newest verified checkpoint of a store). It is a description, not the tokenizer, because a
 * tokenizer (a native Hugging Face one in particular) is not serializable: each contract instance
 * opens it once where it runs.
 */
@FunctionalInterface
public interface TokenizerSource extends Serializable {

  /**
   * The tokenizer, or empty when this source has none (an empty store): the contract then does not
   * decode token ids.
   *
   * @throws IOException when the tokenizer exists but cannot be read
   */
  Optional<Tokenizer> open() throws IOException;

  /** No tokenizer: token ids are not decoded at ingest. */
  static TokenizerSource none() {
    return Optional::empty;
  }

  /**
   * The tokenizer saved in {@code dir} (a checkpoint, a directory with {@code tokenizer.json} or
   * {@code tokenizer.model}, a llama2.c model directory's sentencepiece file), or, when {@code dir}
   * holds none, that of the newest checkpoint of {@code dir} as a store whose digests verify; empty
   * when it is neither (a store with no checkpoint yet, a directory that does not exist).
   * Signatures are not checked: use {@link #directory(String, String)} for a store others can
   * write.
   */
  static TokenizerSource directory(String dir) {
    return directory(dir, "");
  }

  /**
   * As {@link #directory(String)}, but a store's checkpoint must also carry a signature by a key
   * listed in {@code trustedKeysFile} (or be a shipped policy), the rule the value stage loads the
   * same store under ({@link ShippedPolicies#trustSignedBy}); an empty {@code trustedKeysFile}
   * checks digests only. A forged newest version is skipped (and logged) as the value stage skips
   * it, so the contract never decodes with a tokenizer the value stage would refuse.
   */
  static TokenizerSource directory(String dir, String trustedKeysFile) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(trustedKeysFile, "trustedKeysFile");
    return () -> {
      Path path = Path.of(dir);
      if (!Files.isDirectory(path)) {
        return Optional.empty();
      }
      if (Files.isRegularFile(path.resolve(CharTokenizer.FILE_NAME))
          || Files.isRegularFile(path.resolve(HuggingFaceTokenizerAdapter.FILE_NAME))
          || Files.isRegularFile(path.resolve(SentencePieceCharTokenizer.FILE_NAME))) {
        // A tokenizer that is there but unreadable is an error, not a reason to look elsewhere.
        return Optional.of(Tokenizer.load(path));
      }
      if (Llama2cDirectory.recognises(path)) {
        // A llama2.c model directory: its sentencepiece file, found as the model kind finds it.
        return Optional.of(Llama2cDirectory.tokenizer(path));
      }
      // Not a tokenizer directory: a store of checkpoints, whose newest one has the tokenizer.
      CheckpointTrust trust =
          trustedKeysFile.isEmpty()
              ? CheckpointTrust.digestsOnly()
              : ShippedPolicies.trustSignedBy(Path.of(trustedKeysFile));
      Optional<Checkpoint> newest =
          new CheckpointStore(path, Integer.MAX_VALUE, trust).newestVerified();
      if (newest.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(Tokenizer.load(newest.get().dir()));
    };
  }
}
