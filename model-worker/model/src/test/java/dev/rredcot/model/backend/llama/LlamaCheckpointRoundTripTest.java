package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trained Llama written into the checkpoint store as a Hugging Face directory and loaded back:
 * the same log-probabilities, the version it was saved as, and the store's digests guarding it.
 */
class LlamaCheckpointRoundTripTest {

  @TempDir Path storeDir;

  /** Two continuations of family prompts, scored as one padded batch. */
  private static List<ScoreRequest> probes(LlamaCausalLm lm) {
    return List.of(
        new ScoreRequest(
            "Lily was hungry. She said, ", lm.tokenizer().encode("\"Let's go to the park. ")),
        new ScoreRequest(
            "Tom saw his friend Sam. He waved and said, ", lm.tokenizer().encode("\"Hi Sam! ")));
  }

  private static float largestDifference(List<float[]> a, List<float[]> b) {
    float largest = 0;
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).length, b.get(i).length);
      for (int j = 0; j < a.get(i).length; j++) {
        largest = Math.max(largest, Math.abs(a.get(i)[j] - b.get(i)[j]));
      }
    }
    return largest;
  }

  @Test
  void savedAfterAStepLoadsWithTheSameLogProbs() throws IOException {
    CheckpointStore store = new CheckpointStore(storeDir, 8);
    try (LlamaPolicy policy =
        new LlamaPolicy(LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama()))) {
      LlamaCausalLm original = policy.model();
      policy.trainStep(LlamaTrainingTest.fixedBatch(original, 1f), LlamaTrainingTest.options());
      Checkpoint first = original.save(store, 1, 0L, Map.of("loss", -0.5));
      assertEquals(1, original.version());
      assertTrue(Files.isRegularFile(first.file(HuggingFaceLlama.CONFIG_FILE)));
      assertTrue(Files.isRegularFile(first.file(Safetensors.SINGLE_FILE)));
      assertTrue(Files.isRegularFile(first.file(SentencePieceCharTokenizer.FILE_NAME)));
      assertFalse(
          Safetensors.readModel(first.dir()).containsKey(LlamaCheckpoint.OUTPUT),
          "the tied output is written once, as the embedding");
      List<float[]> trained = original.logProbs(probes(original));
      try (LlamaPolicy loadedPolicy = LlamaPolicy.load(first)) {
        LlamaCausalLm loaded = loadedPolicy.model();
        assertEquals(1, loaded.version());
        // llama2.c rotates interleaved pairs; the directory holds Hugging Face's halves with the
        // q/k rows permuted to match, which sums the same products in another order.
        float difference = largestDifference(trained, loaded.logProbs(probes(loaded)));
        assertTrue(difference < 1e-5, "largest log-prob difference " + difference);

        // From a store checkpoint on, the convention no longer changes: bit for bit.
        loadedPolicy.trainStep(
            LlamaTrainingTest.fixedBatch(loaded, -1f), LlamaTrainingTest.options());
        Checkpoint second = loaded.save(store, 2, 1L, Map.of());
        List<float[]> again = loaded.logProbs(probes(loaded));
        try (LlamaCausalLm reloaded = LlamaCausalLm.load(second)) {
          assertEquals(2, reloaded.version());
          List<float[]> reread = reloaded.logProbs(probes(reloaded));
          for (int i = 0; i < again.size(); i++) {
            assertArrayEquals(again.get(i), reread.get(i), 0f);
          }
          assertTrue(largestDifference(trained, again) > 1e-4, "the second step changed the model");
        }
      }
    }
  }

  @Test
  void aChangedWeightFileDoesNotLoad() throws IOException {
    CheckpointStore store = new CheckpointStore(storeDir, 8);
    Checkpoint saved;
    try (LlamaCausalLm original = LlamaCausalLm.openLlama2c(RepositoryFiles.babyLlama())) {
      saved = original.save(store, 0, null, Map.of());
    }
    Files.write(saved.file(Safetensors.SINGLE_FILE), new byte[] {0}, StandardOpenOption.APPEND);
    assertThrows(CheckpointVerificationException.class, () -> LlamaCausalLm.load(saved));
  }
}
