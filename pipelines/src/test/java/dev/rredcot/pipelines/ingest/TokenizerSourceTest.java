package dev.rredcot.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.value.TinyPolicies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the contract's tokenizer comes from: a tokenizer directory, or a store's newest policy. */
class TokenizerSourceTest {

  @Test
  void aTokenizerDirectoryGivesItsTokenizer(@TempDir Path dir) throws IOException {
    CharTokenizer.countdown().save(dir);
    Tokenizer opened = TokenizerSource.directory(dir.toString()).open().orElseThrow();
    assertEquals(CharTokenizer.countdown().vocabSize(), opened.vocabSize());
    assertEquals("12/4=3", opened.decode(CharTokenizer.countdown().encode("12/4=3")));
  }

  @Test
  void aStoreGivesTheTokenizerOfItsNewestCheckpoint(@TempDir Path store) throws IOException {
    TinyPolicies.save(store, 1, 7);
    TinyPolicies.save(store, 2, 8);
    Tokenizer opened = TokenizerSource.directory(store.toString()).open().orElseThrow();
    assertEquals(TinyPolicies.TOKENIZER.vocabSize(), opened.vocabSize());
  }

  @Test
  void anEmptyStoreOrAMissingDirectoryGivesNone(@TempDir Path dir) throws IOException {
    assertTrue(TokenizerSource.directory(dir.toString()).open().isEmpty());
    assertTrue(TokenizerSource.directory(dir.resolve("absent").toString()).open().isEmpty());
    assertTrue(TokenizerSource.none().open().isEmpty());
  }

  @Test
  void anUnreadableTokenizerIsAnErrorNotAnAbsentOne(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve(CharTokenizer.FILE_NAME), "{not json");
    assertThrows(IOException.class, () -> TokenizerSource.directory(dir.toString()).open());
    RolloutContract contract =
        RolloutContract.builder().optTokenizer(TokenizerSource.directory(dir.toString())).build();
    assertThrows(java.io.UncheckedIOException.class, contract::openTokenizer);
  }
}
