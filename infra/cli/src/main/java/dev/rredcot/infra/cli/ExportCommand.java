package dev.rredcot.infra.cli;

import dev.rredcot.model.backend.llama.Llama2cDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot export-hf}: writes a llama2.c model directory as a Hugging Face directory that
 * {@code --model} and Hugging Face tools read.
 *
 * <p>Usage: {@code ./rredcot export-hf --model models/babyllama-tok105 --out /tmp/babyllama-hf}
 */
@Command(
    name = "export-hf",
    mixinStandardHelpOptions = true,
    description = {
      "Write a llama2.c checkpoint directory (*.bin + sentencepiece tokenizer) as a Hugging Face"
          + " directory: config.json, model.safetensors (float32, q/k permuted to Hugging Face's"
          + " rotary convention) and the tokenizer file."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "The llama2.c model directory.")
  Path model;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Where to write; created if missing, must be empty.")
  Path out;

  @Override
  public Integer call() throws IOException {
    if (!Llama2cDirectory.recognises(model)) {
      throw new ParameterException(
          spec.commandLine(),
          "--model " + model + " is not a llama2.c directory (one *.bin + a *.model or *.vocab)");
    }
    Files.createDirectories(out);
    try (Stream<Path> existing = Files.list(out)) {
      if (existing.findAny().isPresent()) {
        throw new ParameterException(spec.commandLine(), "--out " + out + " is not empty");
      }
    }
    Llama2cDirectory.exportHuggingFace(model, out);
    PrintWriter console = spec.commandLine().getOut();
    console.printf("export-hf: wrote %s (open it with --model %s)%n", out, out);
    console.flush();
    return 0;
  }
}
