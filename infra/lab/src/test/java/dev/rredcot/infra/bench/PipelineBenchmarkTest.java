package dev.rredcot.infra.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.family.BuiltInTask;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineBenchmarkTest {

  @Test
  @Tag("slow")
  void writesSteadyStateColdBareAndTokenFiguresToSummary(@TempDir Path dir) throws Exception {
    // A small run (initial policy, 8 timed rollouts, short traces) through Flink [local] and an
    // embedded broker.
    PipelineBenchmark.Result result =
        PipelineBenchmark.run(
            PipelineBenchmarkOptions.builder()
                .setOutputDir(dir)
                .optRollouts(8)
                .optRounds(2)
                .optWarmUpRollouts(4)
                .optTokenGroups(1)
                .optMaxTokens(24)
                .build());

    JsonNode summary = new ObjectMapper().readTree(result.summaryFile().toFile());
    assertThat(summary.get("rollouts").asInt(), is(result.rollouts()));
    assertThat(summary.get("pipeline_rollouts_per_s_by_round").size(), is(2));
    assertThat(summary.get("bare_rollouts_per_s_by_round").size(), is(2));
    for (String field :
        new String[] {
          "pipeline_rollouts_per_s",
          "pipeline_cold_rollouts_per_s",
          "pipeline_startup_s",
          "bare_rollouts_per_s",
          "pipeline_vs_bare"
        }) {
      assertThat(field, summary.get(field).asDouble(), greaterThan(0.0));
    }
    assertThat(
        summary.get("pipeline_vs_bare").asDouble(),
        closeTo(
            summary.get("pipeline_rollouts_per_s").asDouble()
                / summary.get("bare_rollouts_per_s").asDouble(),
            1e-9));
    // Start-up is included in the cold figure only.
    assertThat(
        summary.get("pipeline_cold_rollouts_per_s").asDouble(),
        lessThan(summary.get("pipeline_rollouts_per_s").asDouble()));
    JsonNode tokens = summary.get("model_tokens_per_rollout");
    assertThat(tokens.get("rredcot").asDouble(), greaterThan(0.0));
    assertThat(tokens.get("mc8").asDouble(), greaterThan(tokens.get("rredcot").asDouble()));
    JsonNode byTraces = summary.get("model_tokens_per_rollout_by_traces");
    assertThat(byTraces.get("4_steps").get("mc8").asDouble(), greaterThan(0.0));
    assertThat(byTraces.get("6_steps").get("rredcot").asDouble(), greaterThan(0.0));
    assertThat(
        byTraces.get("6_steps_reference_solutions").get("segments_per_rollout").asDouble(),
        greaterThan(0.0));
  }

  @Test
  @Tag("slow")
  void countdownRunsWithTheShippedCountdownPolicyOnTwoAndThreeMoveProblems(@TempDir Path dir)
      throws Exception {
    PipelineBenchmark.Result result =
        PipelineBenchmark.run(
            PipelineBenchmarkOptions.builder()
                .setOutputDir(dir)
                .optTask(BuiltInTask.COUNTDOWN)
                .optRollouts(8)
                .optRounds(1)
                .optWarmUpRollouts(4)
                .optTokenGroups(1)
                .optMaxTokens(32)
                .build());

    JsonNode summary = new ObjectMapper().readTree(result.summaryFile().toFile());
    assertThat(summary.get("task").asText(), is("countdown"));
    assertThat(summary.get("pipeline_rollouts_per_s").asDouble(), greaterThan(0.0));
    JsonNode byTraces = summary.get("model_tokens_per_rollout_by_traces");
    assertThat(byTraces.get("2_moves").get("rredcot").asDouble(), greaterThan(0.0));
    assertThat(byTraces.get("3_moves").get("mc8").asDouble(), greaterThan(0.0));
    // A 3-move solution has three step lines and the answer line.
    assertThat(
        byTraces.get("3_moves_reference_solutions").get("segments_per_rollout").asDouble(),
        greaterThan(1.0));
  }

  @Test
  void optionsWithoutOutputDirAreRefused() {
    assertThrows(IllegalStateException.class, () -> PipelineBenchmarkOptions.builder().build());
  }

  @Test
  void optionsWithFewerRolloutsThanOneGroupAreRefused(@TempDir Path dir) {
    assertThrows(
        IllegalArgumentException.class,
        () -> PipelineBenchmarkOptions.builder().setOutputDir(dir).optRollouts(3).build());
  }
}
