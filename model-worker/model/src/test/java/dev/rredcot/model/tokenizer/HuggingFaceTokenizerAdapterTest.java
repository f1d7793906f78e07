package dev.rredcot.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceTokenizerAdapterTest {

  // A WordLevel model with a whitespace pre-tokenizer: small enough to write by hand.
  private static final String TOKENIZER_JSON =
      """
      {
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
          {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false,
           "normalized": false, "special": true},
          {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
           "normalized": false, "special": true},
          {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
           "normalized": false, "special": true},
          {"id": 3, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false,
           "normalized": false, "special": true}
        ],
        "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": null,
        "decoder": null,
        "model": {
          "type": "WordLevel",
          "vocab": {"<pad>": 0, "<s>": 1, "</s>": 2, "[UNK]": 3,
                    "the": 4, "cat": 5, "sat": 6, "on": 7, "mat": 8, "A:": 9, "53": 10},
          "unk_token": "[UNK]"
        }
      }
      """;

  @TempDir Path dir;

  private Path writeTokenizerJson() throws IOException {
    Path source = dir.resolve("source");
    Files.createDirectories(source);
    Path file = source.resolve("tokenizer.json");
    Files.writeString(file, TOKENIZER_JSON);
    return file;
  }

  @Test
  void findsSpecialTokensAndVocabularySize() throws IOException {
    try (HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(writeTokenizerJson())) {
      assertEquals(0, tokenizer.padId());
      assertEquals(1, tokenizer.bosId());
      assertEquals(2, tokenizer.eosId());
      assertEquals(11, tokenizer.vocabSize());
    }
  }

  @Test
  void roundTripsTextInItsVocabulary() throws IOException {
    try (HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(writeTokenizerJson())) {
      int[] ids = tokenizer.encode("the cat sat on the mat");
      assertArrayEquals(new int[] {4, 5, 6, 7, 4, 8}, ids);
      assertEquals("the cat sat on the mat", tokenizer.decode(ids));
    }
  }

  @Test
  void decodeSkipsSpecialTokens() throws IOException {
    try (HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(writeTokenizerJson())) {
      assertEquals("A: 53", tokenizer.decode(new int[] {1, 9, 10, 2, 0, 0}));
    }
  }

  @Test
  void unknownWordIsUnmappableWithItsPosition() throws IOException {
    try (HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(writeTokenizerJson())) {
      UnmappableTextException e =
          assertThrows(UnmappableTextException.class, () -> tokenizer.encode("the dog sat"));
      assertEquals(4, e.position());
      assertTrue(e.getMessage().contains("'dog'"), e.getMessage());
    }
  }

  @Test
  void explicitSpecialTokenMustBeInTheVocabulary() throws IOException {
    Path file = writeTokenizerJson();
    IOException e =
        assertThrows(
            IOException.class,
            () -> HuggingFaceTokenizerAdapter.open(file, "<nope>", null, null).close());
    assertTrue(e.getMessage().contains("<nope>"), e.getMessage());
  }

  @Test
  void saveAndLoadRoundTrip() throws IOException {
    Path checkpoint = dir.resolve("checkpoint");
    Files.createDirectories(checkpoint);
    // Name the specials explicitly (eos = "mat") to show the choice survives the round trip.
    try (HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(writeTokenizerJson(), "<pad>", "<s>", "mat")) {
      tokenizer.save(checkpoint);
    }
    assertTrue(Files.isRegularFile(checkpoint.resolve("tokenizer.json")));
    Tokenizer loaded = Tokenizer.load(checkpoint);
    try (HuggingFaceTokenizerAdapter hf =
        assertInstanceOf(HuggingFaceTokenizerAdapter.class, loaded)) {
      assertEquals(8, hf.eosId());
      assertArrayEquals(new int[] {4, 5, 6}, hf.encode("the cat sat"));
      assertEquals("the cat", hf.decode(new int[] {4, 5, 8}));
    }
  }
}
