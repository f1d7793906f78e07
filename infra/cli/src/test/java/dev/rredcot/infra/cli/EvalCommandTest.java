package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.home.RredcotHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  @TempDir Path tempDir;

  @Test
  @Tag("slow")
  void evalCreditWritesEveryMethodToTheSummaryAndAReport() throws Exception {
    Path out = tempDir.resolve("credit");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "eval",
            "credit",
            "--out",
            out.toString(),
            "--rollouts",
            "6",
            "--mc-truth",
            "4");
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode methods =
        new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("methods");
    for (String method :
        List.of(
            "rredcot-answer",
            "rredcot-bank",
            "mc1",
            "mc2",
            "mc4",
            "mc8",
            "loo",
            "gradient",
            "grpo")) {
      assertTrue(methods.has(method), method);
      assertTrue(methods.get(method).has("model_tokens_per_rollout"), method);
    }
    assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"));
  }

  @Test
  void anUnknownLearningArmIsRefused() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "eval",
            "learning",
            "--out",
            tempDir.toString(),
            "--arms",
            "grpo,nonsense");
    assertTrue(run.exitCode() != 0, run.toString());
    assertTrue(run.err().contains("nonsense"), run.err());
  }
}
