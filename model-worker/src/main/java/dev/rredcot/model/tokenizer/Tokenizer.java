package dev.rredcot.model.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Maps text to token ids and back for the policy; saved into and loaded from checkpoints. */
public interface Tokenizer {

  /** Short description, e.g. {@code "char"} or {@code "hf:tokenizer.json"}. */
  String name();

  /** Number of ids, specials included; every id is in {@code [0, vocabSize)}. */
  int vocabSize();

  /** Id of the padding token. */
  int padId();

  /** Id of the beginning-of-sequence token. */
  int bosId();

  /** Id of the end-of-sequence token. */
  int eosId();

  /**
   * Encodes {@code text} without adding special tokens.
   *
   * @throws UnmappableTextException when some character cannot be mapped
   */
  int[] encode(String text);

  /** Decodes {@code ids}, skipping special tokens. */
  String decode(int[] ids);

  /** Writes this tokenizer's files into {@code dir} (which exists). */
  void save(Path dir) throws IOException;

  /**
   * Loads the tokenizer saved in {@code dir}, choosing the implementation from the files present.
   *
   * @throws IOException when no tokenizer file is present or it cannot be read
   */
  static Tokenizer load(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(CharTokenizer.FILE_NAME))) {
      return CharTokenizer.load(dir);
    }
    if (Files.isRegularFile(dir.resolve(HuggingFaceTokenizerAdapter.FILE_NAME))) {
      return HuggingFaceTokenizerAdapter.load(dir);
    }
    throw new IOException(
        "no tokenizer in "
            + dir
            + ": expected "
            + CharTokenizer.FILE_NAME
            + " or "
            + HuggingFaceTokenizerAdapter.FILE_NAME);
  }
}
