package dev.rredcot.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.schemas.Rollout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest re-verifies rewards with the same task families the value stage is configured with. */
class RolloutContractFamiliesTest {
  @TempDir Path dir;

  private static Rollout quizRollout(String text, double reward) {
    return TestRollouts.rollout("g", 0, 4, reward, text)
        .setTaskFamily("quiz")
        .setPromptText("Q: What is 6 times 7?\n")
        .setReferenceAnswer("42")
        .build();
  }

  @Test
  void aConfiguredJsonlFamilyIsVerifiedAndAnUnlistedOneIsUnknown() throws Exception {
    Path quiz =
        Files.writeString(
            dir.resolve("quiz.jsonl"), "{\"question\":\"What is 6 times 7?\",\"answer\":\"42\"}\n");
    RolloutContract listed = RolloutContract.builder().optTaskFamilies("arith," + quiz).build();
    Rollout right = quizRollout("6*7=42\nA: 42\n", 1.0);
    assertTrue(listed.firstViolation(right).isEmpty(), () -> "" + listed.firstViolation(right));
    Rollout lying = quizRollout("6*7=41\nA: 41\n", 1.0);
    assertEquals("reward-mismatch", listed.firstViolation(lying).orElseThrow().reason());

    assertEquals(
        "unknown-task-family",
        RolloutContract.defaults().firstViolation(right).orElseThrow().reason(),
        "the built-in families do not know quiz");
  }

  @Test
  void aBadFamilyListFailsWhenTheContractIsBuilt() {
    assertThrows(
        IllegalArgumentException.class,
        () -> RolloutContract.builder().optTaskFamilies("chess").build());
  }
}
