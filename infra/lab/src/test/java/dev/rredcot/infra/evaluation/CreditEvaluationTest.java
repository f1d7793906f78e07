package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rredcot.model.testing.TinyPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreditEvaluationTest {
  @TempDir static Path temp;
  private static CreditEvaluationResult result;
  private static JsonNode written;

  @BeforeAll
  static void runTinyEvaluation() throws Exception {
    result =
        CreditEvaluation.run(
            CreditEvaluationOptions.builder()
                .setOutDir(temp.resolve("out"))
                .optCheckpointStore(TinyPolicy.store(temp.resolve("store")))
                .optRollouts(4)
                .optLevels(List.of(3, 4))
                .optMcTruthSamples(4)
                .optMaxTokens(40)
                .optAblationRollouts(2)
                .optBootstrapResamples(50)
                .build());
    written = SummaryJson.MAPPER.readTree(result.summaryFile().toFile());
  }

  @Test
  void summaryHasEveryMethodWithEveryField() {
    JsonNode methods = written.get("methods");
    for (String name :
        List.of(
            "rredcot-answer",
            "rredcot-bank",
            "bank-calibrated",
            "bank-calibrated-prior",
            "bank-aligned",
            "bank-spliced",
            "bank-spliced-loo",
            "mc1",
            "mc2",
            "mc4",
            "mc8",
            "loo",
            "gradient",
            "grpo")) {
      JsonNode method = methods.get(name);
      assertTrue(method != null, "missing method " + name);
      for (String field : CreditSummary.METHOD_FIELDS) {
        assertTrue(method.has(field), name + " lacks " + field);
      }
    }
    // Arithmetic has no exact oracle: no bank+reach, reach or reach*mc<M>.
    assertEquals(14, methods.size());
  }

  @Test
  void everyNumberIsFiniteOrNullWithAReason() {
    assertFiniteOrExplained(written, "");
  }

  @Test
  void ablationsCoverEveryStrategyAndTarget() {
    JsonNode ablations = written.get("ablations");
    for (String strategy : List.of("keyword", "entropy", "hybrid", "fixed")) {
      assertTrue(ablations.get("segmentation").has(strategy), strategy);
    }
    for (String target : List.of("2", "3", "4")) {
      assertTrue(ablations.get("target_segments").has(target), target);
    }
  }

  @Test
  void settingsRecordTheRun() {
    JsonNode settings = written.get("settings");
    assertEquals(4, settings.get("mc_truth_samples").asInt());
    assertEquals(4, settings.get("rollouts").asInt());
    assertEquals(4, written.get("rollouts").get("total").asInt());
  }

  @Test
  void flatGrpoSpendsNoModelTokens() {
    assertEquals(
        0.0, written.get("methods").get("grpo").get("model_tokens_per_rollout").asDouble());
    assertTrue(written.get("methods").get("mc8").get("model_tokens_per_rollout").asDouble() > 0);
  }

  @Test
  void reportIsSelfContainedHtmlWithTheScatterPlot() throws Exception {
    String html = Files.readString(result.reportFile());
    assertTrue(html.contains("<svg"));
    assertTrue(html.contains("rredcot-answer"));
    assertFalse(html.contains("<script"));
    // Self-contained: nothing is loaded from elsewhere.
    assertFalse(html.contains("src=") || html.contains("href="));
  }

  private static void assertFiniteOrExplained(JsonNode node, String path) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String at = path + "." + field.getKey();
      JsonNode value = field.getValue();
      if (value.isNull()) {
        assertTrue(node.has(field.getKey() + "_null_reason"), at + " is null without a reason");
      } else if (value.isNumber()) {
        assertTrue(Double.isFinite(value.asDouble()), at + " = " + value);
      } else if (value.isObject()) {
        assertFiniteOrExplained(value, at);
      } else if (value.isArray()) {
        for (JsonNode element : value) {
          if (element.isNumber()) {
            assertTrue(Double.isFinite(element.asDouble()), at + " holds " + element);
          }
        }
      }
    }
  }
}
