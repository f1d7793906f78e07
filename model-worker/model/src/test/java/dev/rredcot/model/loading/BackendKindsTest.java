package dev.rredcot.model.loading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model DIR} opens by what the directory holds; what cannot be opened says why. */
class BackendKindsTest {
  @TempDir Path dir;

  private Checkpoint save(Path store, long version) throws IOException {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    try (Policy policy =
        Policy.create(new ModelConfig(tokenizer.vocabSize(), 16, 2, 1, 32, 32), tokenizer, 1)) {
      return policy.save(new CheckpointStore(store, 10), version, null, Map.of());
    }
  }

  @Test
  void aCheckpointAndAStoreOpenAsTheBuiltInPolicy() throws IOException {
    Path store = dir.resolve("store");
    Checkpoint first = save(store, 3);
    save(store, 7);
    assertEquals(BackendKinds.BUILTIN, BackendKinds.recognise(first.dir()).orElseThrow());
    try (PolicyBackend checkpoint = BackendKinds.open(first.dir());
        PolicyBackend newest =
            BackendKinds.open(store.toString(), null, EndpointSettings.defaults())) {
      assertEquals(3, checkpoint.version());
      assertEquals(7, newest.version());
      assertTrue(newest.supports(BackendCapability.KV_REUSE));
    }
  }

  @Test
  void aDirectoryWithoutAModelListsWhatEachKindExpects() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    IOException e = assertThrows(IOException.class, () -> BackendKinds.open(empty));
    assertTrue(e.getMessage().contains("builtin: model.params"), e.getMessage());
    IOException missing =
        assertThrows(IOException.class, () -> BackendKinds.open(dir.resolve("nothing")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void aUrlNeedsTheTokenizerOfThePolicy() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> BackendKinds.open("http://127.0.0.1:1", null, EndpointSettings.defaults()));
    assertTrue(e.getMessage().contains("--model-tokenizer DIR"), e.getMessage());
  }
}
