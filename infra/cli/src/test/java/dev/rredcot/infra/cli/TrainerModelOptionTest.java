package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.model.testing.RepositoryFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trainer --model DIR}: the model seeds an empty store as a signed version 0 before the
 * trainer looks for a broker (the bootstrap below listens nowhere), and a model that cannot be
 * trained or cannot write the family is a one-line usage error that leaves the store empty.
 */
class TrainerModelOptionTest {
  private static final String MODEL = RepositoryFiles.babyLlama().toString();
  private static final String CONTINUE =
      RepositoryFiles.path("infra/examples/babyllama-continue.jsonl").toString();
  private static final String TORCHSCRIPT =
      RepositoryFiles.path("model-worker/model/src/test/resources/fixtures/tiny-causal-lm")
          .toString();

  @TempDir Path tempDir;

  private Path store() {
    return tempDir.resolve("checkpoints");
  }

  private CliRun trainer(String... args) {
    return CliRun.execute(
        RredcotHome.at(tempDir),
        List.of("trainer", "--store", store().toString(), "--bootstrap", "127.0.0.1:1"),
        args);
  }

  @Test
  void anEmptyStoreIsSeededWithTheModelAsASignedVersionZero() throws Exception {
    CliRun run = trainer("--model", MODEL, "--task", CONTINUE);
    // No broker: the trainer stops after seeding.
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("starting from llama2c"), run.toString());
    CheckpointStore checkpoints = new CheckpointStore(store(), 8);
    assertEquals(List.of(0L), checkpoints.versions());
    assertTrue(
        Files.isRegularFile(
            store()
                .resolve(CheckpointStore.directoryName(0))
                .resolve(CheckpointTrust.SIGNATURE_FILE)),
        "the seed is signed like every checkpoint the trainer writes");
    try (TrainablePolicy seeded = PolicyCheckpoints.load(checkpoints.load(0))) {
      assertInstanceOf(LlamaPolicy.class, seeded);
      assertEquals(0, seeded.version());
    }
  }

  @Test
  void aModelThatCannotWriteTheFamilyIsRefused() throws Exception {
    // BabyLlama's vocabulary has no newline and no '=': it cannot write arithmetic.
    CliRun run = trainer("--model", MODEL, "--task", "arith");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("cannot write arith problems"), run.err());
    assertTrue(new CheckpointStore(store(), 8).versions().isEmpty());
  }

  @Test
  void aModelThatCannotTrainIsRefused() throws Exception {
    CliRun run = trainer("--model", TORCHSCRIPT);
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("cannot be trained here"), run.err());
    assertTrue(new CheckpointStore(store(), 8).versions().isEmpty());
  }
}
