package dev.rredcot.model.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HeldOutEvaluatorTest {

  private static Policy policy;

  @BeforeAll
  static void createPolicy() {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    policy =
        Policy.create(
            ModelConfig.builder()
                .setVocabSize(tokenizer.vocabSize())
                .optDModel(32)
                .optHeads(2)
                .optLayers(1)
                .optDFF(64)
                .optMaxContext(64)
                .build(),
            tokenizer,
            3);
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  private static HeldOutEvaluator.Builder small() {
    return HeldOutEvaluator.builder()
        .setTask(ArithmeticTask.defaults())
        .optPrompts(6)
        .optSamplesPerPrompt(3)
        .optMaxTokens(16)
        .optBatchSize(5);
  }

  @Test
  void sameEvaluatorGivesTheSameResultTwice() {
    HeldOutEvaluator evaluator = small().build();
    EvaluationResult first = evaluator.evaluate(policy);
    EvaluationResult second = evaluator.evaluate(policy);
    assertEquals(first.sampledAccuracy(), second.sampledAccuracy());
    assertEquals(first.greedyAccuracy(), second.greedyAccuracy());
    assertEquals(first.wellFormedRate(), second.wellFormedRate());
    assertEquals(6, first.prompts());
    assertEquals(3, first.samplesPerPrompt());
    assertEquals(policy.version(), first.policyVersion());
  }

  @Test
  void heldOutProblemsAreFixedAndDisjointFromTrainingSeeds() {
    ArithmeticTask task = ArithmeticTask.defaults();
    HeldOutEvaluator evaluator = small().optPrompts(50).build();
    Set<String> heldOutIds = new HashSet<>();
    for (Problem problem : evaluator.problems()) {
      heldOutIds.add(problem.id());
    }
    assertEquals(evaluator.problems(), small().optPrompts(50).build().problems());
    for (long seed = 0; seed < 10_000; seed++) {
      assertTrue(!heldOutIds.contains(task.generate(seed).id()), "training seed " + seed);
    }
  }

  @Test
  void untrainedPolicyScoresInTheUnitInterval() {
    EvaluationResult result = small().build().evaluate(policy);
    assertTrue(result.sampledAccuracy() >= 0 && result.sampledAccuracy() <= 1);
    assertTrue(result.greedyAccuracy() >= 0 && result.greedyAccuracy() <= 1);
  }

  @Test
  void rejectsInvalidSettings() {
    assertThrows(IllegalArgumentException.class, () -> small().optPrompts(0).build());
    assertThrows(IllegalArgumentException.class, () -> small().optTemperature(0).build());
    assertThrows(
        NullPointerException.class, () -> HeldOutEvaluator.builder().optPrompts(3).build());
  }
}
