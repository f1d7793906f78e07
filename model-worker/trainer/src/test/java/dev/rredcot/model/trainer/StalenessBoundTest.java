package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerFixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which rollouts the staleness bound marks stale, and how drops and keeps are accounted for. */
class StalenessBoundTest {

  @TempDir Path dir;

  private Path staleFile;
  private TrainedRolloutLog staleLog;
  private TrainerCounters counters;

  @BeforeEach
  void openLog() throws IOException {
    staleFile = dir.resolve("stale-rollouts.tsv");
    staleLog = TrainedRolloutLog.open(staleFile, 0);
    counters = new TrainerCounters();
  }

  @AfterEach
  void closeLog() throws IOException {
    staleLog.close();
  }

  private StalenessBound bound(int s, StalenessMode mode) {
    return new StalenessBound(s, mode, staleLog, counters);
  }

  private List<String> staleLines() throws IOException {
    List<String> lines = Files.readAllLines(staleFile);
    assertEquals(TrainedRolloutLog.HEADER, lines.get(0));
    return lines.subList(1, lines.size());
  }

  @Test
  void aRolloutIsStaleOnlyWhenMoreThanSVersionsBehind() {
    StalenessBound bound = bound(2, StalenessMode.DROP);
    assertFalse(bound.isStale(3, 5), "two behind is within S = 2");
    assertTrue(bound.isStale(2, 5), "three behind");
    assertFalse(bound(0, StalenessMode.DROP).isStale(5, 5), "S = 0 keeps the current version");
    assertTrue(bound(0, StalenessMode.DROP).isStale(4, 5));
  }

  @Test
  void aFreshRolloutArrivesUncountedAndUnlisted() throws IOException {
    assertEquals(
        Optional.empty(), bound(1, StalenessMode.DROP).dropOnArrival(rollout("p", 4, 0, 2), 5));
    assertEquals(Map.of(), counters.asMap());
    assertEquals(List.of(), staleLines());
  }

  @Test
  void underDropAStaleArrivalIsCountedListedAndExplained() throws IOException {
    Optional<String> why = bound(1, StalenessMode.DROP).dropOnArrival(rollout("p", 3, 0, 2), 5);
    assertEquals(Optional.of("policy version 3 is more than 1 behind 5"), why);
    assertEquals(Map.of("stale_dropped", 1L, "stale.dropped-on-arrival", 1L), counters.asMap());
    assertEquals(List.of("5\tp@v3#0/0\tp@v3#0\t3"), staleLines());
  }

  @Test
  void underImportanceWeightAStaleArrivalIsKeptAndCountedButNotListed() throws IOException {
    StalenessBound bound = bound(1, StalenessMode.IMPORTANCE_WEIGHT);
    assertEquals(Optional.empty(), bound.dropOnArrival(rollout("p", 3, 0, 2), 5));
    assertEquals(Map.of("stale_kept", 1L, "stale.kept-importance-weighted", 1L), counters.asMap());
    assertEquals(List.of(), staleLines());
  }

  @Test
  void onlyDropDropsPendingGroups() {
    assertTrue(bound(1, StalenessMode.DROP).dropsPendingGroups());
    assertFalse(bound(1, StalenessMode.IMPORTANCE_WEIGHT).dropsPendingGroups());
  }

  @Test
  void aDroppedPendingGroupCountsAndListsEveryMember() throws IOException {
    bound(0, StalenessMode.DROP).dropPending(TrainerFixtures.group("g", 0, 2), 1);
    assertEquals(Map.of("stale_dropped", 2L, "stale.dropped-while-pending", 2L), counters.asMap());
    assertEquals(List.of("1\tg@v0#0/0\tg@v0#0\t0", "1\tg@v0#0/1\tg@v0#0\t0"), staleLines());
  }
}
