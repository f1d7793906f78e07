package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C on {@code rredcot demo} (SIGINT to the demo's JVM): every process it started stops, the
 * JVM exits within seconds, and the run directory still gets {@code summary.json} and {@code
 * report.html}, marked as interrupted.
 */
@Tag("slow")
class DemoInterruptTest {
  private static final Duration LOOP_RUNNING = Duration.ofMinutes(5);
  private static final Duration EXIT_AFTER_SIGINT = Duration.ofSeconds(45);

  @TempDir Path dir;

  @Test
  void sigintStopsEverythingAndLeavesAnInterruptedSummaryAndReport() throws Exception {
    Path run = dir.resolve("run");
    try (CliProcess demo =
        CliProcess.start(
            dir.resolve("home"),
            dir.resolve("demo.out"),
            "demo",
            "--minutes",
            "5",
            "--eval-prompts",
            "4",
            "--eval-samples",
            "1",
            "--out",
            run.toString())) {
      awaitRolloutsPublished(demo, run.resolve("metrics.jsonl"));
      List<ProcessHandle> children =
          ProcessHandle.of(demo.pid()).orElseThrow().descendants().toList();
      assertTrue(children.size() >= 2, "broker and credit pipeline run: " + children);

      long start = System.nanoTime();
      demo.interrupt();
      demo.waitForExit(EXIT_AFTER_SIGINT);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      String output = demo.output();
      assertTrue(output.contains("demo: interrupted"), output);
      for (ProcessHandle child : children) {
        child.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(child.isAlive(), "child " + child.pid() + " still runs\n" + output);
      }
      JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
      assertTrue(summary.get("interrupted").asBoolean(), summary.toString());
      assertTrue(summary.get("rollouts").asLong() > 0, summary.toString());
      String report = Files.readString(run.resolve("report.html"));
      assertTrue(report.contains("Interrupted"), report);
      assertFalse(output.contains("did not stop within"), output);
      // For the record in the test report: how long the stop took.
      assertTrue(took.compareTo(EXIT_AFTER_SIGINT) < 0, "took " + took);
      assertEquals(
          List.of(),
          output.lines().filter(line -> line.startsWith("\tat ")).toList(),
          "no stack trace on the console");
    }
  }

  /**
   * Waits until the loop has ticked and a rollout has been published, so that the interrupt lands
   * in a running loop (on a loaded machine the first ticks can pass before the worker samples).
   */
  private static void awaitRolloutsPublished(CliProcess demo, Path metrics) throws Exception {
    long deadline = System.nanoTime() + LOOP_RUNNING.toNanos();
    ObjectMapper json = new ObjectMapper();
    while (true) {
      if (Files.exists(metrics)) {
        List<String> ticks = Files.readAllLines(metrics);
        if (ticks.size() >= 3
            && json.readTree(ticks.get(ticks.size() - 1)).path("rolloutsPublished").asLong() > 0) {
          return;
        }
      }
      if (!demo.isAlive()) {
        throw new AssertionError("the demo exited early:\n" + demo.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the loop did not publish a rollout within " + LOOP_RUNNING + "\n" + demo.output());
      }
      Thread.sleep(500);
    }
  }
}
