package dev.rredcot.model.loading;

import dev.rredcot.model.backend.BackendKind;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.endpoint.CompletionsBackend;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.backend.torchscript.TorchScriptCausalLm;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The kinds of model directory {@code --model DIR} accepts, tried in order; the first that
 * recognises the directory opens it: a TorchScript export (by its {@code model-card.json}), a
 * Hugging Face Llama-family directory ({@code config.json} + safetensors), a llama2.c checkpoint
 * ({@code *.bin} + sentencepiece tokenizer), then the built-in checkpoint. A new kind is one more
 * entry in {@link #KINDS}.
 */
public final class BackendKinds {

  /** The project's own transformer: a checkpoint directory, or a store of them (newest). */
  public static final BackendKind BUILTIN =
      new BackendKind() {
        @Override
        public String name() {
          return "builtin";
        }

        @Override
        public String expectedFiles() {
          return Policy.PARAMS_FILE
              + " + "
              + ModelConfig.FILE_NAME
              + " + "
              + CheckpointStore.MANIFEST
              + " (a checkpoint), or v<version>/ checkpoints (a store)";
        }

        @Override
        public boolean recognises(Path dir) {
          return isCheckpoint(dir) || isStore(dir);
        }

        @Override
        public PolicyBackend open(Path dir) throws IOException {
          if (isCheckpoint(dir)) {
            return Policy.load(CheckpointStore.verify(dir));
          }
          Optional<Checkpoint> newest =
              new CheckpointStore(dir, Integer.MAX_VALUE).newestVerified();
          if (newest.isEmpty()) {
            throw new IOException("no verified checkpoint in store " + dir);
          }
          // A store holds whatever the trainer trained: the built-in policy or a Llama.
          return PolicyCheckpoints.load(newest.get());
        }

        private boolean isCheckpoint(Path dir) {
          return Files.isRegularFile(dir.resolve(Policy.PARAMS_FILE))
              && Files.isRegularFile(dir.resolve(CheckpointStore.MANIFEST));
        }

        private boolean isStore(Path dir) {
          try {
            return !new CheckpointStore(dir, Integer.MAX_VALUE).versions().isEmpty();
          } catch (IOException e) {
            return false;
          }
        }
      };

  private static final List<BackendKind> KINDS =
      new ArrayList<>(
          List.of(
              TorchScriptCausalLm.KIND,
              LlamaCausalLm.HUGGING_FACE_KIND,
              LlamaCausalLm.LLAMA2C_KIND,
              BUILTIN));

  private BackendKinds() {}

  /** The registered kinds, in the order they are tried. */
  public static synchronized List<BackendKind> kinds() {
    return List.copyOf(KINDS);
  }

  /** Adds a kind, tried before those registered earlier (so a specific kind wins). */
  public static synchronized void register(BackendKind kind) {
    KINDS.add(0, kind);
  }

  /** The kind that recognises {@code dir}, if any. */
  public static synchronized Optional<BackendKind> recognise(Path dir) {
    for (BackendKind kind : KINDS) {
      if (kind.recognises(dir)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code model} names a server ({@code http://} or {@code https://}) not a directory. */
  public static boolean isUrl(String model) {
    return model.startsWith("http://") || model.startsWith("https://");
  }

  /**
   * Opens {@code --model}: an {@code http(s)://} URL is an OpenAI-compatible completions server
   * scored in the ids of the tokenizer in {@code tokenizerDir} (a directory with {@code
   * tokenizer.json}, or a checkpoint); anything else is a directory for {@link #open(Path)}.
   *
   * @throws IOException when the model cannot be opened, or a URL has no tokenizer directory
   * @throws dev.rredcot.model.backend.endpoint.ModelServerUnavailableException when the server does
   *     not answer
   */
  public static PolicyBackend open(String model, Path tokenizerDir, EndpointSettings endpoint)
      throws IOException {
    if (!isUrl(model)) {
      return open(Path.of(model));
    }
    if (tokenizerDir == null) {
      throw new IOException(
          "--model "
              + model
              + " needs the policy's tokenizer: a directory with tokenizer.json or a checkpoint"
              + " (--model-tokenizer DIR)");
    }
    return CompletionsBackend.connect(URI.create(model), Tokenizer.load(tokenizerDir), endpoint);
  }

  /**
   * Opens the model in {@code dir} with the first kind that recognises it.
   *
   * @throws IOException when no kind recognises it (the message lists what each expects) or it
   *     cannot be opened
   */
  public static PolicyBackend open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("model directory " + dir + " does not exist");
    }
    Optional<BackendKind> kind = recognise(dir);
    if (kind.isEmpty()) {
      StringJoiner expected = new StringJoiner("; ");
      for (BackendKind k : kinds()) {
        expected.add(k.name() + ": " + k.expectedFiles());
      }
      throw new IOException("no model in " + dir + ": expected " + expected);
    }
    return kind.get().open(dir);
  }
}
