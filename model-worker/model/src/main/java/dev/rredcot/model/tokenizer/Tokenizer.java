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

  /**
   * Whether sequences start with {@link #bosId()}. False for vocabularies without a
   * beginning-of-sequence token (Qwen-style): their sequences start with the prompt's first token,
   * and {@link #bosId()} then names a token never prepended.
   */
  default boolean addsBos() {
    return true;
  }

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
    if (Files.isRegularFile(dir.resolve(SentencePieceCharTokenizer.FILE_NAME))) {
      return SentencePieceCharTokenizer.read(dir.resolve(SentencePieceCharTokenizer.FILE_NAME));
    }
    throw new IOException(
        "no tokenizer in "
            + dir
            + ": expected "
            + CharTokenizer.FILE_NAME
            + ", "
            + HuggingFaceTokenizerAdapter.FILE_NAME
            + " or "
            + SentencePieceCharTokenizer.FILE_NAME);
  }
}
