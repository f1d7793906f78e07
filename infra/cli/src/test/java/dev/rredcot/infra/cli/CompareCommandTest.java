package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.compare.CreditComparison;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.schemas.CreditedRollout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rredcot compare}: agreement of two credited outputs, matched by rollout id. */
class CompareCommandTest {
  @TempDir Path tempDir;

  /** A rollout with three segments of two tokens each and the given segment credit. */
  private static CreditedRollout rollout(String id, double... segmentRewards) {
    CreditedRollout base = CreditedFixtures.credited("p", 0, 2);
    List<Double> rewards = new ArrayList<>();
    List<Float> advantages = new ArrayList<>();
    for (double reward : segmentRewards) {
      rewards.add(reward);
      advantages.add((float) reward);
      advantages.add((float) reward);
    }
    return CreditedRollout.newBuilder(base)
        .setRolloutId(id)
        .setTokenIds(List.of(1, 2, 3, 4, 5, 6))
        .setLogProbs(List.of(-1f, -1f, -1f, -1f, -1f, -1f))
        .setSegmentBoundaries(List.of(0, 2, 4, 6))
        .setSegmentRewards(rewards)
        .setTokenAdvantages(advantages)
        .build();
  }

  @Test
  void identicalCreditAgreesFully() {
    List<CreditedRollout> side =
        List.of(rollout("a", 0.1, -0.2, 0.3), rollout("b", 0.5, 0.2, -0.1));
    CreditComparison same = CreditComparison.of(side, side);
    assertEquals(2, same.matched());
    assertEquals(6, same.segments());
    assertEquals(1.0, same.segmentSpearman(), 1e-12);
    assertEquals(1.0, same.meanRecordSpearman(), 1e-12);
    assertEquals(1.0, same.segmentSignAgreement(), 1e-12);
    assertEquals(0.0, same.segmentMeanAbsDifference(), 1e-12);
    assertEquals(12, same.tokens());
  }

  @Test
  void countsRecordsOnOneSideAndMeasuresDisagreement() {
    List<CreditedRollout> a =
        List.of(rollout("a", 0.1, 0.2, 0.3), rollout("b", 1, 2, 3), rollout("only-a", 1, 1, 1));
    List<CreditedRollout> b =
        List.of(
            rollout("a", 0.3, 0.2, 0.1),
            rollout("b", 1, 2, -3),
            rollout("b", 1, 2, 3.5),
            rollout("only-b", 0, 0, 0));
    CreditComparison comparison = CreditComparison.of(a, b);
    assertEquals(3, comparison.recordsA());
    assertEquals(4, comparison.recordsB());
    assertEquals(1, comparison.duplicatesB());
    assertEquals(2, comparison.matched());
    assertEquals(1, comparison.onlyA());
    assertEquals(1, comparison.onlyB());
    // Record a is reversed (rho -1); the last b (3.5) is used: same order (rho 1).
    assertEquals(0.0, comparison.meanRecordSpearman(), 1e-12);
    assertEquals(1.0, comparison.segmentSignAgreement(), 1e-12);
    // |0.1-0.3| + 0 + |0.3-0.1| + 0 + 0 + 0.5 over 6 pairs.
    assertEquals(0.9 / 6, comparison.segmentMeanAbsDifference(), 1e-12);
    assertEquals(0.5, comparison.segmentMaxAbsDifference(), 1e-12);
  }

  @Test
  void reportsTheLargestBoundaryValueAndAdvantageDifferences() {
    CreditedRollout a =
        CreditedRollout.newBuilder(rollout("a", 0.1, 0.2, 0.3))
            .setBoundaryValues(List.of(0.4, 0.5, 0.7, 1.0))
            .build();
    CreditedRollout b =
        CreditedRollout.newBuilder(rollout("a", 0.1, 0.2, 0.35))
            .setBoundaryValues(List.of(0.4, 0.5, 0.65, 1.0))
            .build();
    CreditComparison comparison = CreditComparison.of(List.of(a), List.of(b));
    assertEquals(0.05, comparison.valueMaxAbsDifference(), 1e-9);
    assertEquals(0.05, comparison.tokenMaxAbsDifference(), 1e-6);
  }

  @Test
  void differentBoundariesAreNotComparedSegmentBySegment() {
    CreditedRollout three = rollout("a", 0.1, 0.2, 0.3);
    CreditedRollout one =
        CreditedRollout.newBuilder(three)
            .setSegmentBoundaries(List.of(0, 6))
            .setSegmentRewards(List.of(0.6))
            .build();
    CreditComparison comparison = CreditComparison.of(List.of(three), List.of(one));
    assertEquals(1, comparison.matched());
    assertEquals(0, comparison.sameBoundaries());
    assertEquals(0, comparison.segments());
    assertEquals(6, comparison.tokens());
  }

  @Test
  void comparesTheAvroFilesReplayWrites() throws Exception {
    write(
        tempDir.resolve("left-00000-of-00001.avro"),
        List.of(rollout("a", 1, 2, 3), rollout("x", 1, 1, 2)));
    write(tempDir.resolve("right-00000-of-00002.avro"), List.of(rollout("a", 1, 2, 4)));
    write(tempDir.resolve("right-00001-of-00002.avro"), List.of(rollout("y", 1, -1, 1)));
    // Replay's dead letters next to them are not credited rollouts and are not read.
    Files.writeString(tempDir.resolve("right-dead-letters-00000-of-00001.avro"), "not avro");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir.resolve("home")),
            "compare",
            "file:" + tempDir.resolve("left"),
            "file:" + tempDir.resolve("right"),
            "--json");
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertEquals(2, json.get("recordsA").asLong());
    assertEquals(2, json.get("recordsB").asLong());
    assertEquals(1, json.get("matched").asLong());
    assertEquals(1, json.get("onlyA").asLong());
    assertEquals(1, json.get("onlyB").asLong());
    assertEquals(1.0 / 3, json.get("segmentMeanAbsDifference").asDouble(), 1e-12);

    CliRun text =
        CliRun.execute(
            RredcotHome.at(tempDir.resolve("home")),
            "compare",
            "file:" + tempDir.resolve("left"),
            "file:" + tempDir.resolve("nothing"));
    assertEquals(1, text.exitCode(), text.toString());
    assertTrue(text.err().contains("no files"), text.err());
  }

  private static void write(Path file, List<CreditedRollout> records) throws Exception {
    try (DataFileWriter<CreditedRollout> writer =
        new DataFileWriter<>(new SpecificDatumWriter<>(CreditedRollout.class))) {
      writer.create(CreditedRollout.getClassSchema(), file.toFile());
      for (CreditedRollout record : records) {
        writer.append(record);
      }
    }
  }
}
