package dev.rredcot.pipelines.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditRunResult;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The table of metric names in docs/OPERATIONS.md is the names classes' table, row for row, and a
 * credit run reports no metric the table does not name.
 */
@ExtendWith(TestPipelineExtension.class)
class MetricTableTest {
  private static final Path OPERATIONS = Path.of("..", "docs", "OPERATIONS.md");
  private static final String HEADER = "| name | type | labels | exported by | meaning |";

  /** The rows the table must have, in order: the services', then the credit job's. */
  static List<String> expectedRows() {
    List<MetricNames.Name> names = new ArrayList<>(MetricNames.all());
    names.addAll(StageMetrics.documented());
    List<String> rows = new ArrayList<>();
    for (MetricNames.Name name : names) {
      rows.add(
          "| `"
              + name.scraped()
              + "` | "
              + kind(name.kind())
              + " | "
              + String.join(", ", name.labels())
              + " | "
              + name.where()
              + " | "
              + name.help()
              + " |");
    }
    return rows;
  }

  private static String kind(MetricNames.Kind kind) {
    return switch (kind) {
      case COUNTER -> "counter";
      case GAUGE -> "gauge";
      case HISTOGRAM -> "histogram";
      case BEAM_COUNTER -> "Beam counter";
      case BEAM_GAUGE -> "Beam gauge";
      case BEAM_DISTRIBUTION -> "Beam distribution";
    };
  }

  /** The table rows under {@link #HEADER} in the doc (the header and its rule excluded). */
  private static List<String> documentedRows() throws IOException {
    List<String> lines = Files.readAllLines(OPERATIONS);
    int header = lines.indexOf(HEADER);
    assertTrue(header >= 0, "no metric table (" + HEADER + ") in " + OPERATIONS);
    List<String> rows = new ArrayList<>();
    for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      rows.add(lines.get(i));
    }
    return rows;
  }

  @Test
  void theDocumentedTableIsTheNamesClassesTable() throws IOException {
    List<String> expected = expectedRows();
    assertEquals(
        expected.size(),
        new TreeSet<>(expected).size(),
        "a metric name is documented twice: " + expected);
    assertEquals(
        String.join("\n", expected),
        String.join("\n", documentedRows()),
        "docs/OPERATIONS.md's metric table differs from MetricNames and StageMetrics; expected:\n"
            + String.join("\n", expected));
  }

  @Test
  void aCreditRunReportsOnlyDocumentedNames(TestPipeline pipeline) {
    List<RawRecord> records = new ArrayList<>();
    double[] rewards = {1, 0, 0, 1};
    for (int i = 0; i < rewards.length; i++) {
      String text = rewards[i] == 1 ? "12+30=42\nA: 42\n" : "12+30=41\nA: 41\n";
      records.add(
          TestRollouts.raw(
              TestRollouts.rollout("g1", i, 4, rewards[i], text)
                  .setCreatedAtMs(Instant.now())
                  .build(),
              i));
    }
    records.add(RawRecord.of(null, new byte[] {1, 2, 3}, "rollouts", 0, 99L));
    pipeline
        .apply(Create.of(records).withCoder(RawRecordCoder.of()))
        .apply(CreditRollouts.of(CreditSettings.grpo(60_000, 600_000)));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    CreditRunResult result = CreditRunResult.of(run);

    List<Pattern> documented =
        StageMetrics.documented().stream()
            .map(name -> Pattern.compile(name.name().replaceAll("<[^>]+>", "[^/]+")))
            .collect(Collectors.toList());
    Set<String> reported = new TreeSet<>(result.counters().keySet());
    reported.addAll(result.distributions().keySet());
    for (String name : reported) {
      assertTrue(
          documented.stream().anyMatch(p -> p.matcher(name).matches()),
          name + " is reported but not in StageMetrics.documented()");
    }
    // The documented families are there, and the latency buckets add up.
    assertEquals(4L, result.counter(StageMetrics.inName("ComputeAdvantages")));
    assertEquals(1L, result.counter("dead-letters/ParseRollout/bad-header"));
    assertEquals(4L, result.counter(StageMetrics.CREDIT_LATENCY_MS + "/count"));
    assertEquals(4L, result.distributions().get(StageMetrics.CREDIT_LATENCY_MS).count());
    // Credited within the test's run time: every rollout is in the widest bucket.
    long widest = StageMetrics.CREDIT_LATENCY_BUCKETS_MS.length - 1;
    assertEquals(
        4L,
        result.counter(
            StageMetrics.bucketName(
                StageMetrics.CREDIT_LATENCY_MS,
                StageMetrics.CREDIT_LATENCY_BUCKETS_MS[(int) widest])));
  }
}
