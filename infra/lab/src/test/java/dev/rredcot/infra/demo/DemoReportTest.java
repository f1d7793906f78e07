package dev.rredcot.infra.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.schemas.CreditedRollout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path tempDir;

  @Test
  void drawsTheCurveThroughputAndEverySegmentOfASampleTrace() throws Exception {
    Path report = writeReport();
    String html = Files.readString(report);
    assertTrue(html.contains("51.6% &rarr; 62.5% (+10.9 points"), html);
    assertEquals(2, count(html, "<svg"), "learning curve and throughput charts");
    // The trace's three segments, decoded with the tokenizer, each in its own row.
    assertTrue(html.contains(">37+25=62\u21b5</td>"), html);
    assertTrue(html.contains(">62-18=44\u21b5</td>"), html);
    assertTrue(html.contains(">A: 44\u21b5</td>"), html);
    assertTrue(html.contains("<td>+0.700</td><td>1.000</td>"), "last segment's reward and value");
    assertFalse(html.contains("<script"), "the report needs no scripts");
  }

  @Test
  void marksTheFirstDoomedLineOfAWrongCountdownTrace() throws Exception {
    // 3*4=12 keeps 24 reachable (12*2); 12+2=14 leaves only 14, so the second line is doomed.
    String text = "3*4=12\n12+2=14\nA: ?\n";
    CreditedRollout trace =
        trace(
            "Q: 2 3 4 -> 24\n",
            text,
            CharTokenizer.countdown(),
            0.0,
            List.of(0, 7, 15, 20),
            List.of(0.4, 0.5, 0.1, 0.0),
            List.of(0.1, -0.4, -0.1));
    Path report = writeReport(trace, CharTokenizer.countdown(), CountdownTask.defaults());
    String html = Files.readString(report);
    assertTrue(html.contains(">12+2=14\u21b5 <b>&#9664; doomed here</b></td>"), html);
    assertTrue(html.contains(">3*4=12\u21b5</td>"), "the line before stays unmarked");
    assertEquals(1, count(html, "&#9664; doomed here"), html);
    assertEquals(
        OptionalInt.of(text.indexOf("14\n") + 2),
        DemoReport.doomedLineEnd(CountdownTask.defaults(), trace),
        "the doomed line ends at its newline");
  }

  @Test
  void aCorrectCountdownTraceAndAnArithmeticTraceHaveNoDoomedMarker() throws Exception {
    String text = "2*3=6\n6*4=24\nA: 24\n";
    CreditedRollout correct =
        trace(
            "Q: 2 3 4 -> 24\n",
            text,
            CharTokenizer.countdown(),
            1.0,
            List.of(0, 6, 13, 19),
            List.of(0.4, 0.6, 0.9, 1.0),
            List.of(0.2, 0.3, 0.1));
    assertEquals(OptionalInt.empty(), DemoReport.doomedLineEnd(CountdownTask.defaults(), correct));
    String html = Files.readString(writeReport());
    assertFalse(html.contains("doomed here"), "arith reports are unchanged");
  }

  @Test
  void negativeRewardsAreRedAndPositiveOnesGreen() {
    assertTrue(DemoReport.colour(-0.5).startsWith("rgb(255,"));
    assertTrue(DemoReport.colour(0.5).matches("rgb\\(\\d+,255,\\d+\\)"));
  }

  @Test
  @Tag("slow")
  void rendersInHeadlessChromiumWithoutConsoleErrors() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "Debian's chromium is not installed here");
    Path report = writeReport();
    Process chromium =
        new ProcessBuilder(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + Files.createTempDirectory(tempDir, "chromium"),
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
                report.toUri().toString())
            .redirectError(tempDir.resolve("chromium.err").toFile())
            .start();
    String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(chromium.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
    assertEquals(0, chromium.exitValue());
    assertTrue(dom.contains("</svg>") && dom.contains("Credit per segment"), dom);
    List<String> consoleErrors =
        Files.readAllLines(tempDir.resolve("chromium.err")).stream()
            .filter(line -> line.contains("CONSOLE") || line.contains("Uncaught"))
            .toList();
    assertEquals(List.of(), consoleErrors);
  }

  private Path writeReport() throws Exception {
    return writeReport(sampleTrace(), CharTokenizer.arithmetic(), ArithmeticTask.defaults());
  }

  private Path writeReport(CreditedRollout sample, Tokenizer tokenizer, TaskFamily task)
      throws Exception {
    DemoSummary summary =
        new DemoSummary(
            "rredcot", 0.516, 0.625, 0.86, 0.9, 12, 64, 4, 2000, 1900, 768, 12, 12, 0, Map.of(), 0,
            3, 12, 300.0, false);
    List<DemoRun.Tick> ticks = new ArrayList<>();
    IntStream.range(0, 40)
        .forEach(
            i ->
                ticks.add(
                    new DemoRun.Tick(
                        i, 300, i / 3, i / 3, 50L * i, 45L * i, 20L * i, 45, 0.5, 0.55, 0, 0)));
    List<StreamObserver.CurvePoint> curve =
        List.of(
            new StreamObserver.CurvePoint(0, 0, Double.NaN, Double.NaN, Double.NaN, 0),
            new StreamObserver.CurvePoint(5, 320, 0.55, 0.58, 0.88, 1),
            new StreamObserver.CurvePoint(10, 640, 0.6, 0.61, 0.9, 2));
    StreamObserver.Snapshot stream =
        new StreamObserver.Snapshot(1900, 0, Map.of(), 0.6, curve, List.of(sample));
    Path report = tempDir.resolve("report.html");
    DemoReport.write(report, summary, ticks, stream, tokenizer, task);
    return report;
  }

  private static CreditedRollout sampleTrace() {
    return trace(
        "Q: 37+25-18\n",
        "37+25=62\n62-18=44\nA: 44\n",
        CharTokenizer.arithmetic(),
        1.0,
        List.of(0, 9, 18, 24),
        List.of(0.1, 0.1, 0.3, 1.0),
        List.of(0.0, 0.2, 0.7));
  }

  private static CreditedRollout trace(
      String prompt,
      String text,
      Tokenizer tokenizer,
      double reward,
      List<Integer> bounds,
      List<Double> values,
      List<Double> rewards) {
    List<Integer> tokens = new ArrayList<>();
    for (int id : tokenizer.encode(text)) {
      tokens.add(id);
    }
    List<Float> zeros = new ArrayList<>();
    tokens.forEach(token -> zeros.add(0f));
    return CreditedRollout.newBuilder()
        .setRolloutId("r")
        .setPromptId("p")
        .setGroupId("g")
        .setSampleIndex(0)
        .setGroupSize(2)
        .setGroupCount(2)
        .setGroupComplete(true)
        .setPolicyVersion(3)
        .setPromptText(prompt)
        .setTokenIds(tokens)
        .setText(text)
        .setLogProbs(zeros)
        .setReward(reward)
        .setCreditMethod("rredcot-reweight")
        .setValueEstimator("answer")
        .setSegmentation("hybrid")
        .setSegmentBoundaries(bounds)
        .setBoundaryValues(values)
        .setSegmentRewards(rewards)
        .setTokenAdvantages(zeros)
        .setGroupMean(0.5)
        .setGroupStd(0.5)
        .setCreatedAtMs(Instant.EPOCH)
        .setCreditedAtMs(Instant.EPOCH)
        .build();
  }

  private static int count(String text, String needle) {
    return (text.length() - text.replace(needle, "").length()) / needle.length();
  }
}
