package dev.rredcot.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer layer's support for Llama-family models: sentencepiece character vocabularies,
 * vocabularies without a beginning-of-sequence token (Qwen-style) and chat templates.
 */
class TokenizerFamilyTest {

  @TempDir Path dir;

  private Path writeVocab(String... pieces) throws IOException {
    Path file = dir.resolve("chars.vocab");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < pieces.length; i++) {
      text.append(pieces[i]).append('\t').append(-i).append('\n');
    }
    Files.writeString(file, text);
    return file;
  }

  @Test
  void sentencePieceCharactersMapSpacesToTheWordBoundaryPiece() throws IOException {
    SentencePieceCharTokenizer t =
        SentencePieceCharTokenizer.read(writeVocab("<unk>", "<s>", "</s>", "\u2581", "a", "b"));
    assertArrayEquals(new int[] {4, 3, 5}, t.encode("a b"));
    assertArrayEquals(new int[] {3, 4}, t.encodeWithDummyPrefix("a"));
    assertEquals(" ab", t.decode(new int[] {1, 3, 4, 0, 5, 2}));
    assertEquals(0, t.padId());
    assertTrue(t.addsBos());
  }

  @Test
  void sentencePieceRefusesCharactersOutsideTheVocabularyAndMultiCharacterPieces()
      throws IOException {
    SentencePieceCharTokenizer t =
        SentencePieceCharTokenizer.read(writeVocab("<unk>", "<s>", "</s>", "\u2581", "a"));
    UnmappableTextException e = assertThrows(UnmappableTextException.class, () -> t.encode("a="));
    assertTrue(e.getMessage().contains("'='"), e.getMessage());
    Path merged = writeVocab("<unk>", "<s>", "</s>", "ab");
    IOException refused =
        assertThrows(IOException.class, () -> SentencePieceCharTokenizer.read(merged));
    assertTrue(refused.getMessage().contains("'ab'"), refused.getMessage());
  }

  @Test
  void aBosLessHuggingFaceTokenizerSurvivesSaveAndLoad() throws IOException, URISyntaxException {
    Path json = Path.of(getClass().getResource("/fixtures/tiny-causal-lm/tokenizer.json").toURI());
    try (HuggingFaceTokenizerAdapter t =
        HuggingFaceTokenizerAdapter.openWithoutBos(json, "<pad>", "</s>")) {
      assertFalse(t.addsBos());
      assertEquals(t.eosId(), t.bosId());
      t.save(dir);
    }
    Tokenizer loaded = Tokenizer.load(dir);
    try (HuggingFaceTokenizerAdapter adapter =
        assertInstanceOf(HuggingFaceTokenizerAdapter.class, loaded)) {
      assertFalse(adapter.addsBos());
    }
    try (HuggingFaceTokenizerAdapter withBos = HuggingFaceTokenizerAdapter.open(json)) {
      assertTrue(withBos.addsBos());
    }
  }

  @Test
  void aChatTemplateWrapsThePromptAndNeedsOnePlaceholder() throws IOException {
    assertEquals(
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.CHATML.apply("hi"));
    assertThrows(IllegalArgumentException.class, () -> new ChatTemplate("no placeholder"));
    assertThrows(IllegalArgumentException.class, () -> new ChatTemplate("{prompt}{prompt}"));
    assertTrue(ChatTemplate.read(dir).isEmpty());
    Files.writeString(dir.resolve(ChatTemplate.FILE_NAME), "Q: {prompt}\n");
    assertEquals("Q: 1+1\n", ChatTemplate.read(dir).orElseThrow().apply("1+1"));
    Files.writeString(dir.resolve(ChatTemplate.FILE_NAME), "broken");
    assertThrows(IOException.class, () -> ChatTemplate.read(dir));
  }
}
