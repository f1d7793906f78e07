package dev.rredcot.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model benchmark writes every figure the lead's report needs. */
class ModelBenchmarkTest {

  @Test
  void lineBoundariesCutAfterEveryStepLineButNotBeforeTheAnswerCue() {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    int[] trace = tokenizer.encode("3+4=7\n7-2=5\nA: 5\n");
    assertEquals(
        List.of(0, 6),
        java.util.Arrays.stream(ModelBenchmark.lineBoundaries(trace, tokenizer))
            .boxed()
            .toList()
            .subList(0, 2));
    assertEquals(3, ModelBenchmark.lineBoundaries(trace, tokenizer).length);
  }

  @Test
  @Tag("slow")
  void writesASummaryWithEveryFigure(@TempDir Path out) throws Exception {
    BenchmarkResult result =
        ModelBenchmark.run(
            BenchmarkOptions.builder()
                .setOutputDir(out)
                .optAccuracyProblems(16)
                .optValueTraces(4)
                .optModel(RepositoryFiles.babyLlama())
                .build());
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String key :
        List.of(
            "gen_tokens_per_s_b1_kv",
            "gen_tokens_per_s_b1_nokv",
            "gen_tokens_per_s_b64_kv",
            "score_tokens_per_s",
            "gen_tokens_per_cpu_s_b1_kv",
            "gen_tokens_per_cpu_s_b1_nokv",
            "gen_tokens_per_cpu_s_b64_kv",
            "score_tokens_per_cpu_s",
            "value_boundary_ms_reuse",
            "value_boundary_ms_rerun",
            "train_step_ms_b64_t64",
            "params",
            "peak_rss_mb",
            "initial_policy_accuracy")) {
      assertTrue(summary.has(key), key);
      assertTrue(summary.get(key).asDouble() > 0 || key.equals("initial_policy_accuracy"), key);
    }
    // One thread's CPU time never exceeds the wall time it took: per CPU second, at least as fast.
    assertTrue(
        result.genTokensPerCpuSB64Kv() >= 0.99 * result.genTokensPerSB64Kv(), result.toString());
    assertTrue(result.scoreTokensPerCpuS() >= 0.99 * result.scoreTokensPerS(), result.toString());
    assertTrue(result.valueTokensPerBoundaryReuse() < result.valueTokensPerBoundaryRerun());
    assertTrue(result.model().startsWith("llama2c "), result.model());
    assertTrue(summary.get("model_score_tokens_per_s").asDouble() > 0, summary.toString());
  }
}
