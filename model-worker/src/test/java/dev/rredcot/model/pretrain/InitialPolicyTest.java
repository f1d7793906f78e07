package dev.rredcot.model.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.ArithmeticTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped initial policy materialises as a verified version 0 and is imperfect by design. */
class InitialPolicyTest {

  @Test
  void materialisesAsVerifiedVersionZero(@TempDir Path root) throws IOException {
    Checkpoint checkpoint = InitialPolicy.materialise(new CheckpointStore(root, 3));
    assertEquals(0, checkpoint.version());
    assertEquals(InitialPolicy.MANIFEST_SHA256, checkpoint.manifestSha256());
    // A second call finds and re-verifies the same checkpoint.
    assertEquals(
        checkpoint.manifestSha256(),
        InitialPolicy.materialise(new CheckpointStore(root, 3)).manifestSha256());
  }

  @Test
  void refusesATamperedExistingVersionZero(@TempDir Path root) throws IOException {
    Checkpoint checkpoint = InitialPolicy.materialise(new CheckpointStore(root, 3));
    Files.writeString(checkpoint.file("model-config.json"), "{}");
    assertThrows(
        CheckpointVerificationException.class,
        () -> InitialPolicy.materialise(new CheckpointStore(root, 3)));
  }

  @Test
  @Tag("slow")
  void solvesSomeButNotAllFreshFourStepProblems(@TempDir Path root) throws IOException {
    Checkpoint checkpoint = InitialPolicy.materialise(new CheckpointStore(root, 3));
    try (Policy policy = Policy.load(checkpoint)) {
      double accuracy =
          Pretrainer.accuracy(
              policy, new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK), 128, 5L << 40, 17);
      assertTrue(accuracy >= 0.25 && accuracy <= 0.7, "accuracy " + accuracy);
    }
  }
}
