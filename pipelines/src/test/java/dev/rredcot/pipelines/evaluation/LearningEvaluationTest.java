package dev.rredcot.pipelines.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningEvaluationTest {
  @TempDir Path temp;

  @Test
  void tinyRunWritesACurvePerMethodAndSeed() throws Exception {
    LearningEvaluationResult result =
        LearningEvaluation.run(
            LearningEvaluationOptions.builder()
                .setOutDir(temp.resolve("out"))
                .optCheckpointStore(TinyStartingPolicy.store(temp.resolve("store")))
                .optSeeds(2)
                .optPromptsPerStep(2)
                .optGroupSize(2)
                .optRolloutBudget(8)
                .optEvaluateEverySteps(1)
                .optEvalPrompts(2)
                .optEvalSamplesPerPrompt(1)
                .optMaxTokens(30)
                .build());
    JsonNode summary = SummaryJson.MAPPER.readTree(result.summaryFile().toFile());
    assertEquals(result.initialAccuracy() + 0.10, summary.get("target_accuracy").asDouble(), 1e-12);
    for (String method : new String[] {"grpo", "rredcot-reweight", "rredcot-dense"}) {
      JsonNode node = summary.get("methods").get(method);
      assertTrue(node.has("final_accuracy_mean") && node.has("final_accuracy_std"), method);
      assertTrue(node.has("rollouts_to_target_mean"), method);
      assertEquals(2, node.get("runs").size());
      // Evaluated before the first step and after each of the 2 steps.
      assertEquals(3, node.get("runs").get(0).get("curve").size());
      assertEquals(8, node.get("runs").get(0).get("curve").get(2).get("rollouts").asInt());
    }
    assertTrue(Files.readString(result.reportFile()).contains("<polyline"));
  }
}
