package dev.rredcot.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {

  @TempDir Path dir;

  private final CharTokenizer tokenizer = CharTokenizer.arithmetic();

  @Test
  void specialIdsComeFirst() {
    assertEquals(0, tokenizer.padId());
    assertEquals(1, tokenizer.bosId());
    assertEquals(2, tokenizer.eosId());
    assertEquals(3 + CharTokenizer.ARITHMETIC_ALPHABET.length(), tokenizer.vocabSize());
  }

  @Test
  void roundTripsArithmeticTaskText() {
    ArithmeticTask task = ArithmeticTask.defaults();
    for (long seed = 0; seed < 100; seed++) {
      Problem problem = task.generate(seed);
      String text = problem.prompt() + problem.solution();
      int[] ids = tokenizer.encode(text);
      assertEquals(text.length(), ids.length);
      assertTrue(Arrays.stream(ids).allMatch(id -> id >= 3 && id < tokenizer.vocabSize()));
      assertEquals(text, tokenizer.decode(ids));
    }
    String multiply = "Q: 3*4\n3*4=12\nA: 12\n";
    assertEquals(multiply, tokenizer.decode(tokenizer.encode(multiply)));
  }

  @Test
  void decodeSkipsSpecialTokens() {
    int[] ids = tokenizer.encode("A: 5\n");
    int[] withSpecials = new int[ids.length + 3];
    withSpecials[0] = tokenizer.bosId();
    System.arraycopy(ids, 0, withSpecials, 1, ids.length);
    withSpecials[ids.length + 1] = tokenizer.eosId();
    withSpecials[ids.length + 2] = tokenizer.padId();
    assertEquals("A: 5\n", tokenizer.decode(withSpecials));
  }

  @Test
  void encodeAddsNoSpecialTokens() {
    assertArrayEquals(new int[0], tokenizer.encode(""));
  }

  @Test
  void unmappableCharacterIsNamedWithItsPosition() {
    UnmappableTextException e =
        assertThrows(UnmappableTextException.class, () -> tokenizer.encode("Q: 1+x\n"));
    assertEquals(5, e.position());
    assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    assertTrue(e.getMessage().contains("position 5"), e.getMessage());
    // Lower-case letters, tabs and other scripts are outside the default alphabet.
    assertThrows(UnmappableTextException.class, () -> tokenizer.encode("q"));
    assertThrows(UnmappableTextException.class, () -> tokenizer.encode("\t"));
    assertThrows(UnmappableTextException.class, () -> tokenizer.encode("é"));
  }

  @Test
  void decodeRejectsIdsOutsideTheVocabulary() {
    assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {99}));
    assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-1}));
  }

  @Test
  void customAlphabetMapsOnlyItsCharacters() {
    CharTokenizer abc = new CharTokenizer("abc");
    assertEquals(6, abc.vocabSize());
    assertArrayEquals(new int[] {3, 4, 5, 3}, abc.encode("abca"));
    assertThrows(UnmappableTextException.class, () -> abc.encode("d"));
  }

  @Test
  void alphabetWithRepeatsOrEmptyIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new CharTokenizer("abca"));
    assertThrows(IllegalArgumentException.class, () -> new CharTokenizer(""));
  }

  @Test
  void saveAndLoadRoundTrip() throws IOException {
    CharTokenizer custom = new CharTokenizer("xyz\n ");
    custom.save(dir);
    assertTrue(Files.isRegularFile(dir.resolve(CharTokenizer.FILE_NAME)));
    Tokenizer loaded = Tokenizer.load(dir);
    CharTokenizer loadedChars = assertInstanceOf(CharTokenizer.class, loaded);
    assertEquals("xyz\n ", loadedChars.alphabet());
    assertEquals(custom.vocabSize(), loaded.vocabSize());
    assertArrayEquals(custom.encode("zy x\n"), loaded.encode("zy x\n"));
  }

  @Test
  void loadRejectsADirectoryWithoutTokenizer() {
    IOException e = assertThrows(IOException.class, () -> Tokenizer.load(dir));
    assertTrue(e.getMessage().contains(CharTokenizer.FILE_NAME), e.getMessage());
  }

  @Test
  void loadRejectsACorruptFile() throws IOException {
    Files.writeString(dir.resolve(CharTokenizer.FILE_NAME), "{\"format\":\"other\"}");
    assertThrows(IOException.class, () -> Tokenizer.load(dir));
  }
}
