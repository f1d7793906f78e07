package dev.rredcot.infra.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --model DIR|URL} option of the commands that score with a policy: a model directory (a
 * built-in checkpoint or store, or any kind {@link dev.rredcot.model.loading.BackendKinds}
 * recognises) or the URL of an OpenAI-compatible completions server; for the credit jobs it becomes
 * the Beam options {@code --model} and {@code --model-tokenizer}.
 */
public final class ModelOption {
  @Option(
      names = "--model",
      paramLabel = "DIR|URL",
      description =
          "Score with this model instead of the checkpoint store: a model directory (built-in"
              + " checkpoint or store, TorchScript export, Hugging Face Llama-family directory,"
              + " llama2.c checkpoint) or an OpenAI-compatible completions server URL (vLLM,"
              + " SGLang, rredcot serve).")
  String model = "";

  @Option(
      names = "--model-tokenizer",
      paramLabel = "DIR",
      description =
          "Tokenizer of a --model URL (a directory with tokenizer.json, or a checkpoint);"
              + " default: the newest checkpoint in the store.")
  String tokenizer = "";

  /** Whether {@code --model} was given. */
  boolean given() {
    return !model.isEmpty();
  }

  /** Passes the options to a credit job as its Beam options (unless given there directly). */
  BeamJobArgs apply(BeamJobArgs args) {
    if (!model.isEmpty()) {
      args.withDefault("model", model);
    }
    if (!tokenizer.isEmpty()) {
      args.withDefault("modelTokenizer", tokenizer);
    }
    return args;
  }
}
