package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.testing.RepositoryFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trainer --kl-coefficient C --kl-reference DIR|shipped}: the penalty and its reference go
 * together, a reference that does not open is a usage error, and a good one is loaded before the
 * trainer looks for its broker (the bootstrap below listens nowhere).
 */
class TrainerKlOptionTest {
  private static final String LLAMA = RepositoryFiles.babyLlama().toString();

  @TempDir Path tempDir;

  private CliRun trainer(String... args) {
    return CliRun.execute(
        RredcotHome.at(tempDir),
        List.of(
            "trainer",
            "--store",
            tempDir.resolve("checkpoints").toString(),
            "--bootstrap",
            "127.0.0.1:1"),
        args);
  }

  @Test
  void aPenaltyWithoutAReferenceIsAUsageError() {
    CliRun run = trainer("--kl-coefficient", "0.1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--kl-reference"), run.err());
  }

  @Test
  void aReferenceThatDoesNotOpenIsAUsageError() {
    CliRun run =
        trainer("--kl-coefficient", "0.1", "--kl-reference", tempDir.resolve("nowhere").toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--kl-reference " + tempDir.resolve("nowhere")), run.err());
  }

  @Test
  void theShippedPolicyIsLoadedAsTheReference() {
    CliRun run = trainer("--kl-coefficient", "0.05", "--kl-reference", "shipped");
    // No broker: the trainer stops after loading its reference.
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("trainer: KL penalty 0.05 to"), run.toString());
  }

  @Test
  void aReferenceWithAnotherTokenizerIsRefusedBeforeTraining() {
    // The shipped arithmetic policy in the store, a Llama with a sentencepiece vocabulary as the
    // reference: its log-probs would be of other tokens.
    CliRun run = trainer("--kl-coefficient", "0.05", "--kl-reference", LLAMA);
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.toString().contains("tokenizer"), run.toString());
  }
}
