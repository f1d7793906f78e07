package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Aligned continuation-bank values of the shipped initial policy tell wrong lines from right. */
class BankValuesOnInitialPolicyTest {

  @Test
  void aPrefixEndingInAWrongLineIsValuedBelowTheCorrectPrefixOfTheSameLength(@TempDir Path root)
      throws IOException {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    try (Policy policy = Policy.load(InitialPolicy.materialise(new CheckpointStore(root, 3)))) {
      for (int seed = 0; seed < 12; seed++) {
        Problem problem = task.generate(7100 + seed);
        List<String> steps = task.splitSteps(problem.solution());
        String answerLine = problem.solution().substring(String.join("", steps).length());
        String answer = answerLine.substring(ArithmeticTask.ANSWER_CUE.length());
        // Wrong lines before the last: a remainder of the reference follows them. After a wrong
        // last line only the answer line is left and its value is the policy's own answer
        // probability, which for this policy sometimes stays high after a wrong negative result.
        for (int j = 1; j < steps.size(); j++) {
          String shared = String.join("", steps.subList(0, j - 1));
          String right = shared + steps.get(j - 1);
          String wrong = shared + wrongResult(steps.get(j - 1));
          double[] values = new double[2];
          int i = 0;
          for (String prefix : List.of(right, wrong)) {
            int[] tokens = policy.tokenizer().encode(prefix);
            values[i++] =
                policy.bankValues(
                        List.of(
                            new BankRequest(
                                problem.prompt(),
                                tokens,
                                new int[] {tokens.length},
                                List.of(steps),
                                ArithmeticTask.ANSWER_CUE,
                                answer,
                                BankAggregation.SUM)),
                        true)
                    .get(0)[0];
          }
          assertTrue(
              values[1] < values[0],
              problem.prompt() + "line " + j + ": wrong " + values[1] + " vs right " + values[0]);
        }
      }
    }
  }

  /** The line {@code a+b=c\n} with its result off by one. */
  private static String wrongResult(String line) {
    int eq = line.lastIndexOf('=');
    long result = Long.parseLong(line.substring(eq + 1, line.length() - 1));
    List<String> parts = new ArrayList<>(List.of(line.substring(0, eq + 1), (result + 1) + "\n"));
    return String.join("", parts);
  }
}
