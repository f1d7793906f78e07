package dev.rredcot.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.TrustedKeys;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.value.TinyPolicies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the contract's tokenizer comes from: a tokenizer directory, or a store's newest policy that
 * the value stage would load.
 */
class TokenizerSourceTest {

  @Test
  void aTokenizerDirectoryGivesItsTokenizer(@TempDir Path dir) throws IOException {
    CharTokenizer.countdown().save(dir);
    Tokenizer opened = TokenizerSource.directory(dir.toString()).open().orElseThrow();
    assertEquals(CharTokenizer.countdown().vocabSize(), opened.vocabSize());
    assertEquals("12/4=3", opened.decode(CharTokenizer.countdown().encode("12/4=3")));
  }

  @Test
  void aLlama2cModelDirectoryGivesItsSentencepieceTokenizer() throws IOException {
    // The shipped BabyLlama: model5000.bin with tok105.model (tests run in the module directory).
    Path model = RepositoryFiles.babyLlama();
    Tokenizer opened = TokenizerSource.directory(model.toString()).open().orElseThrow();
    assertEquals(105, opened.vocabSize());
    assertEquals("Ann had 2 cats. A: 2. ", opened.decode(opened.encode("Ann had 2 cats. A: 2. ")));
  }

  @Test
  void aStoreGivesTheTokenizerOfItsNewestCheckpoint(@TempDir Path store) throws IOException {
    TinyPolicies.save(store, 1, 7);
    TinyPolicies.save(store, 2, 8);
    Tokenizer opened = TokenizerSource.directory(store.toString()).open().orElseThrow();
    assertEquals(TinyPolicies.TOKENIZER.vocabSize(), opened.vocabSize());
  }

  @Test
  void withTrustedKeysAPlantedNewerVersionIsSkippedAsTheValueStageSkipsIt(@TempDir Path dir)
      throws IOException {
    Path store = dir.resolve("store");
    CheckpointSigningKey trainerKey = CheckpointSigningKey.generate();
    Path trusted =
        Files.writeString(dir.resolve("trusted.pub"), TrustedKeys.line(trainerKey.publicKey()));
    try (Policy signed = TinyPolicy.create(TinyPolicies.MAX_CONTEXT, 1)) {
      signed.save(new CheckpointStore(store, 10).withSigner(trainerKey), 1, null, Map.of());
    }
    // A writer of the store without the trainer's key plants a newer version with its own
    // vocabulary, signed by a key nobody trusts.
    CharTokenizer planted = CharTokenizer.countdown();
    try (Policy forged =
        Policy.create(
            new ModelConfig(planted.vocabSize(), 32, 2, 1, 64, TinyPolicies.MAX_CONTEXT),
            planted,
            2)) {
      forged.save(
          new CheckpointStore(store, 10).withSigner(CheckpointSigningKey.generate()),
          2,
          null,
          Map.of());
    }

    Tokenizer trustedOnly =
        TokenizerSource.directory(store.toString(), trusted.toString()).open().orElseThrow();
    assertEquals(TinyPolicy.TOKENIZER.vocabSize(), trustedOnly.vocabSize());
    Tokenizer digestsOnly = TokenizerSource.directory(store.toString()).open().orElseThrow();
    assertEquals(planted.vocabSize(), digestsOnly.vocabSize());
  }

  @Test
  void withTrustedKeysAStoreOfUnsignedVersionsGivesNone(@TempDir Path dir) throws IOException {
    Path store = dir.resolve("store");
    TinyPolicies.save(store, 1, 7);
    Path trusted =
        Files.writeString(
            dir.resolve("trusted.pub"),
            TrustedKeys.line(CheckpointSigningKey.generate().publicKey()));
    assertTrue(TokenizerSource.directory(store.toString(), trusted.toString()).open().isEmpty());
    assertTrue(TokenizerSource.directory(store.toString()).open().isPresent());
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
