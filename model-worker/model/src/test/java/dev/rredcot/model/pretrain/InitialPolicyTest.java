package dev.rredcot.model.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  void greedyTracesStopAtTheNewlineEndingTheAnswerLine(@TempDir Path root) throws IOException {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    try (Policy policy = Policy.load(InitialPolicy.materialise(new CheckpointStore(root, 3)))) {
      List<GenerationRequest> requests = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        requests.add(GenerationRequest.of(task.generate(900 + i).prompt()));
      }
      List<Sample> samples =
          policy.generate(
              requests, GenerationOptions.builder().optTemperature(0).optMaxTokens(100).build());
      for (Sample sample : samples) {
        assertEquals(Sample.StopReason.ANSWER_LINE, sample.stopReason(), sample.text());
        assertTrue(sample.text().matches("(?s).*\\nA: -?\\d+\\n"), sample.text());
        assertTrue(task.verifyAnswer("0", sample.text()).isWellFormed(), sample.text());
      }
    }
  }

  @Test
  void continuesAForcedPrefixWithoutRepeatingIt(@TempDir Path root) throws IOException {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    Problem problem = task.generate(4242);
    List<String> steps = task.splitSteps(problem.solution());
    String prefix = steps.get(0) + steps.get(1);
    try (Policy policy = Policy.load(InitialPolicy.materialise(new CheckpointStore(root, 3)))) {
      Sample sample =
          policy
              .generate(
                  List.of(
                      new GenerationRequest(problem.prompt(), policy.tokenizer().encode(prefix))),
                  GenerationOptions.builder().optTemperature(0).build())
              .get(0);
      String next = sample.text().substring(0, sample.text().indexOf('\n') + 1);
      // The third line starts with the second line's result, not with the prompt's first operand.
      String secondResult = steps.get(1).substring(steps.get(1).indexOf('=') + 1).trim();
      assertTrue(next.startsWith(secondResult), prefix + "|" + sample.text());
    }
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
