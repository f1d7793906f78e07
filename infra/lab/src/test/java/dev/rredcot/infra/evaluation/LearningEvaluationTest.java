package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.testing.TinyPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
                .optCheckpointStore(TinyPolicy.store(temp.resolve("store")))
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
    assertEquals(2, summary.get("seeds").asInt());
    for (String method :
        new String[] {"grpo", "rudder:mc16", "rudder:bank", "reweight:bank", "dense:bank"}) {
      JsonNode node = summary.get("methods").get(method);
      assertTrue(node.has("final_accuracy_mean") && node.has("final_accuracy_std"), method);
      assertTrue(node.has("rollouts_to_target_mean"), method);
      assertTrue(node.get("auc_mean").asDouble() >= 0, method);
      assertTrue(node.get("wall_s_per_step").asDouble() > 0, method);
      assertEquals(2, node.get("runs").size());
      // Evaluated before the first step and after each of the 2 steps.
      assertEquals(3, node.get("runs").get(0).get("curve").size());
      assertEquals(8, node.get("runs").get(0).get("curve").get(2).get("rollouts").asInt());
    }
    assertEquals("rudder:mc16", summary.get("ceiling_arm").asText());
    for (String arm : new String[] {"rudder:mc16", "rudder:bank", "reweight:bank", "dense:bank"}) {
      JsonNode comparison = summary.get("comparisons").get(arm + "_vs_grpo");
      assertEquals(2, comparison.get("seeds").asInt(), arm);
      assertTrue(comparison.has("rollouts_to_target_ratio") && comparison.has("ratio_ci"), arm);
      assertTrue(comparison.has("auc_diff") && comparison.has("auc_diff_ci"), arm);
      assertTrue(comparison.has("ceiling_share") && comparison.has("ceiling_share_ci"), arm);
      assertTrue(comparison.has("rollouts_to_baseline_final_ratio"), arm);
    }
    assertTrue(Files.readString(result.reportFile()).contains("<polyline"));
    // A summary written before these comparisons existed gets them, the same, from its curves.
    ObjectNode older = summary.deepCopy();
    older.remove("baseline_final_accuracy");
    older
        .get("comparisons")
        .forEach(
            c ->
                ((ObjectNode) c)
                    .remove(
                        List.of(
                            "rollouts_to_baseline_final_ratio",
                            "rollouts_to_baseline_final_ratio_null_reason",
                            "baseline_final_ratio_ci",
                            "baseline_final_ratio_ci_null_reason")));
    SummaryJson.write(older, result.summaryFile());
    LearningEvaluation.recompare(temp.resolve("out"));
    assertEquals(summary, SummaryJson.read(result.summaryFile()));
    // A run without the ceiling arm takes it from this one and gets the same comparisons.
    ObjectNode part = summary.deepCopy();
    ((ObjectNode) part.get("methods")).remove("rudder:mc16");
    ((ObjectNode) part.get("comparisons")).remove("rudder:mc16_vs_grpo");
    part.remove("ceiling_arm");
    part.get("comparisons")
        .forEach(
            c ->
                ((ObjectNode) c)
                    .remove(
                        List.of(
                            "ceiling_share",
                            "ceiling_share_null_reason",
                            "ceiling_share_ci",
                            "ceiling_share_ci_null_reason")));
    Path partDir = Files.createDirectories(temp.resolve("part"));
    SummaryJson.write(part, partDir.resolve("summary.json"));
    LearningEvaluation.recompare(partDir, temp.resolve("out"), "rudder:mc16");
    JsonNode borrowed = SummaryJson.read(partDir.resolve("summary.json"));
    assertEquals(summary.get("comparisons"), borrowed.get("comparisons"));
    assertEquals("rudder:mc16", borrowed.get("ceiling_arm").asText());
    ObjectNode ceiling = (ObjectNode) borrowed.get("methods").get("rudder:mc16").deepCopy();
    assertEquals(temp.resolve("out").toString(), ceiling.remove("from_run").asText());
    assertEquals(summary.get("methods").get("rudder:mc16"), ceiling);
    // Runs whose seeds do not pair are refused.
    ((ObjectNode) part.get("settings")).put("steps", 3);
    SummaryJson.write(part, partDir.resolve("summary.json"));
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> LearningEvaluation.recompare(partDir, temp.resolve("out"), "rudder:mc16"));
    assertTrue(refused.getMessage().contains("steps"), refused.getMessage());
  }

  @Test
  void runsTrainedSideBySideGiveTheSameCurvesAsOneAtATime() throws Exception {
    JsonNode oneAtATime = tinyRun("one", 1, List.of("grpo", "dense:bank"));
    JsonNode sideBySide = tinyRun("two", 2, List.of("grpo", "dense:bank"));
    for (String arm : new String[] {"grpo", "dense:bank"}) {
      assertEquals(
          oneAtATime.get("methods").get(arm).get("runs"),
          sideBySide.get("methods").get(arm).get("runs"),
          arm);
    }
  }

  @Test
  void aCountdownLevelNamesItsProblemsAndIsRefusedElsewhere() {
    LearningEvaluationOptions wide =
        LearningEvaluationOptions.builder()
            .setOutDir(temp)
            .optTask(BuiltInTask.COUNTDOWN)
            .optLevel("wide")
            .build();
    assertEquals("countdown:wide", wide.taskName());
    assertEquals(
        CountdownTask.Config.wide().canonical(),
        ((CountdownTask) wide.trainedTask()).config().canonical());
    LearningEvaluationOptions forks =
        LearningEvaluationOptions.builder().setOutDir(temp).optTask(BuiltInTask.COUNTDOWN).build();
    assertEquals("countdown", forks.taskName());
    assertEquals(
        CountdownTask.Config.forks().canonical(),
        ((CountdownTask) forks.trainedTask()).config().canonical());
    assertThrows(
        IllegalArgumentException.class,
        () -> LearningEvaluationOptions.builder().setOutDir(temp).optLevel("wide").build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            LearningEvaluationOptions.builder()
                .setOutDir(temp)
                .optTask(BuiltInTask.COUNTDOWN)
                .optLevel("hard")
                .build());
  }

  private JsonNode tinyRun(String name, int workers, List<String> arms) throws Exception {
    LearningEvaluationResult result =
        LearningEvaluation.run(
            LearningEvaluationOptions.builder()
                .setOutDir(temp.resolve(name))
                .optCheckpointStore(TinyPolicy.store(temp.resolve(name + "-store")))
                .optArms(LearningArm.parse(arms))
                .optSeeds(2)
                .optPromptsPerStep(2)
                .optGroupSize(2)
                .optRolloutBudget(8)
                .optEvaluateEverySteps(1)
                .optEvalPrompts(2)
                .optEvalSamplesPerPrompt(1)
                .optMaxTokens(30)
                .optWorkers(workers)
                .build());
    return SummaryJson.MAPPER.readTree(result.summaryFile().toFile());
  }
}
