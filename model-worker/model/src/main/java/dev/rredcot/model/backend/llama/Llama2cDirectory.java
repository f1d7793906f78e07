package dev.rredcot.model.backend.llama;

import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A directory holding a llama2.c checkpoint: one {@code *.bin} and its character-level
 * sentencepiece tokenizer ({@code tokenizer.model}, else the one {@code *.model}, else the one
 * {@code *.vocab}), as llama2.c's own releases and {@code models/babyllama-tok105} lay them out.
 */
public final class Llama2cDirectory {

  private Llama2cDirectory() {}

  /** Whether {@code dir} holds one {@code *.bin} and a sentencepiece tokenizer (by file names). */
  public static boolean recognises(Path dir) {
    return !HuggingFaceLlama.recognises(dir)
        && filesEnding(dir, ".bin").size() == 1
        && tokenizerFile(dir).isPresent();
  }

  /**
   * The checkpoint file.
   *
   * @throws IOException unless there is exactly one {@code *.bin}
   */
  public static Path checkpointFile(Path dir) throws IOException {
    List<Path> bins = filesEnding(dir, ".bin");
    if (bins.size() != 1) {
      throw new IOException(dir + ": expected one llama2.c *.bin checkpoint, found " + bins);
    }
    return bins.get(0);
  }

  /**
   * Reads the checkpoint.
   *
   * @throws IOException when it is missing or malformed
   */
  public static LlamaCheckpoint checkpoint(Path dir) throws IOException {
    return Llama2cCheckpoint.read(checkpointFile(dir));
  }

  /**
   * Reads the tokenizer.
   *
   * @throws IOException when none is present or it is not character-level
   */
  public static SentencePieceCharTokenizer tokenizer(Path dir) throws IOException {
    Path file =
        tokenizerFile(dir)
            .orElseThrow(() -> new IOException(dir + ": no sentencepiece *.model or *.vocab"));
    return SentencePieceCharTokenizer.read(file);
  }

  /**
   * Writes the model in {@code dir} as a Hugging Face directory into {@code out} (see {@link
   * HuggingFaceLlama#write}).
   *
   * @param out an existing, empty directory
   * @throws IOException when reading or writing fails
   */
  public static void exportHuggingFace(Path dir, Path out) throws IOException {
    HuggingFaceLlama.write(out, checkpoint(dir), tokenizer(dir));
  }

  private static Optional<Path> tokenizerFile(Path dir) {
    Path standard = dir.resolve(SentencePieceCharTokenizer.FILE_NAME);
    if (Files.isRegularFile(standard)) {
      return Optional.of(standard);
    }
    List<Path> models = filesEnding(dir, ".model");
    if (models.size() == 1) {
      return Optional.of(models.get(0));
    }
    List<Path> vocabs = filesEnding(dir, ".vocab");
    return vocabs.size() == 1 ? Optional.of(vocabs.get(0)) : Optional.empty();
  }

  private static List<Path> filesEnding(Path dir, String suffix) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(suffix) && Files.isRegularFile(f))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
