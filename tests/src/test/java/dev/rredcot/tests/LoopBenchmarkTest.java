package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.cli.RredcotCli;
import dev.rredcot.infra.home.RredcotHome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A short {@code rredcot bench loop}: one arm, one worker, a window of 15 s after the first trained
 * batch; every generated rollout id is trained, stale, dead-lettered or still in flight, and
 * summary.json carries the figures the benchmark reports.
 */
@Tag("slow")
class LoopBenchmarkTest {
  private static final List<String> ARM_FIELDS =
      List.of(
          "credit",
          "warm_up_s",
          "window_s",
          "generated",
          "trained",
          "stale",
          "dead_letters",
          "in_flight",
          "trained_in_window",
          "generated_in_window",
          "trained_per_s",
          "generated_per_s",
          "stale_share",
          "trainer_steps",
          "lag_samples",
          "lag_records_mean",
          "lag_records_max",
          "lag_oldest_s_mean",
          "lag_oldest_s_max",
          "credit_latency_s_mean",
          "credit_latency_s_p95",
          "in_flight_budget_rollouts",
          "lag_share_of_budget",
          "credit_job_behind",
          "load_average_start",
          "load_average_end",
          "dead_letters_by_reason");

  // Kept when the test fails: the processes' logs are under it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void shortRunAccountsForEveryGeneratedRolloutAndWritesEveryField() throws Exception {
    Path out = dir.resolve("bench-loop");
    StringWriter console = new StringWriter();
    CommandLine cli = RredcotCli.commandLine(RredcotHome.at(dir.resolve("home")));
    cli.setOut(new PrintWriter(console));
    cli.setErr(new PrintWriter(console));
    int exit =
        cli.execute(
            "bench",
            "loop",
            "--out",
            out.toString(),
            "--seconds",
            "15",
            "--workers",
            "1",
            "--credits",
            "grpo",
            "--warm-up-timeout",
            "300");
    assertEquals(0, exit, console.toString());
    assertTrue(console.toString().contains("trained rollouts/s"), console.toString());

    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String field : List.of("workers", "window_s", "seed", "arms", "note", "wall_s")) {
      assertTrue(summary.has(field), field);
    }
    assertTrue(summary.has("rredcot_vs_grpo_trained_per_s"));
    assertTrue(summary.get("rredcot_vs_grpo_trained_per_s").isNull(), "one arm: no ratio");
    assertEquals(1, summary.get("arms").size());
    JsonNode arm = summary.get("arms").get(0);
    for (String field : ARM_FIELDS) {
      assertTrue(arm.has(field), field + " in " + arm);
    }
    assertEquals("grpo", arm.get("credit").asText());
    int generated = arm.get("generated").asInt();
    assertTrue(arm.get("trained").asInt() > 0, "the window starts with a trained batch");
    assertEquals(
        generated,
        arm.get("trained").asInt()
            + arm.get("stale").asInt()
            + arm.get("dead_letters").asInt()
            + arm.get("in_flight").asInt(),
        "generated = trained + stale + dead letters + in flight: " + arm);
    assertEquals(
        arm.get("trained_in_window").asDouble() / arm.get("window_s").asDouble(),
        arm.get("trained_per_s").asDouble(),
        1e-9);
    assertEquals(arm.get("stale").asDouble() / generated, arm.get("stale_share").asDouble(), 1e-9);
    assertTrue(arm.get("lag_samples").asInt() >= 5, "a lag sample every 2 s: " + arm);
    assertTrue(
        arm.get("lag_records_max").asInt() >= arm.get("lag_records_mean").asDouble(),
        arm.toString());
    assertTrue(Files.isRegularFile(out.resolve("grpo").resolve("lag.tsv")));
  }
}
