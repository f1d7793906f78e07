package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.TrainStepResult;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the trainer's counters add up, survive a progress file and read as {@link TrainerStats}. */
class TrainerCountersTest {

  @Test
  void aCounterNeverCountedIsZeroAndIncrementsAddUp() {
    TrainerCounters counters = new TrainerCounters();
    assertEquals(0, counters.get(TrainerCounters.STEPS));
    counters.increment(TrainerCounters.STEPS, 1);
    counters.increment(TrainerCounters.STEPS, 2);
    assertEquals(3, counters.get(TrainerCounters.STEPS));
  }

  @Test
  void deadLettersAndStaleRecordsAreCountedUnderTheirPrefixByReason() {
    // The progress file keeps these names: a restarted trainer must read the same ones.
    TrainerCounters counters = new TrainerCounters();
    counters.deadLetters("non-finite-advantage", 2);
    counters.stale("dropped-on-arrival", 1);
    assertEquals(
        Map.of("dead_letters.non-finite-advantage", 2L, "stale.dropped-on-arrival", 1L),
        counters.asMap());
  }

  @Test
  void restoredCountersGoOnFromTheSavedValues() {
    TrainerCounters counters =
        TrainerCounters.restore(Map.of("rollouts_consumed", 10L, "dead_letters.x", 1L));
    counters.increment(TrainerCounters.ROLLOUTS_CONSUMED, 1);
    counters.deadLetters("x", 1);
    assertEquals(Map.of("rollouts_consumed", 11L, "dead_letters.x", 2L), counters.asMap());
  }

  @Test
  void statsReadEachNamedCounterAndSplitThePrefixedOnesByReason() {
    TrainerCounters counters = new TrainerCounters();
    counters.increment(TrainerCounters.STEPS, 1);
    counters.increment(TrainerCounters.ROLLOUTS_CONSUMED, 2);
    counters.increment(TrainerCounters.ROLLOUTS_TRAINED, 3);
    counters.increment(TrainerCounters.DUPLICATES_IGNORED, 4);
    counters.increment(TrainerCounters.STALE_DROPPED, 5);
    counters.increment(TrainerCounters.STALE_KEPT, 6);
    counters.increment(TrainerCounters.INVALID_RECORDS, 7);
    counters.increment(TrainerCounters.ZERO_SIGNAL_GROUPS, 8);
    counters.stale("dropped-while-pending", 5);
    counters.deadLetters("absurd-log-prob", 7);
    counters.deadLetters("undecodable", 1);
    // loss 0.5, clip fraction 0.25, KL 0.125
    TrainStepResult last = new TrainStepResult(0.5, 0.25, 0.125, 1.0, 11, 1.0, 0.0, 0.0, 1);
    TrainerStats stats = counters.stats(9, 2, last, 0.75);
    assertEquals(
        new TrainerStats(
            9,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            Map.of("dropped-while-pending", 5L),
            Map.of("absurd-log-prob", 7L, "undecodable", 1L),
            2,
            0.5,
            0.125,
            0.25,
            0.75),
        stats);
    assertEquals(8, stats.deadLetters());
  }

  @Test
  void beforeTheFirstStepTheLastStepFiguresAreNaN() {
    TrainerStats stats = new TrainerCounters().stats(0, 0, null, Double.NaN);
    assertTrue(Double.isNaN(stats.lastLoss()));
    assertTrue(Double.isNaN(stats.lastKl()));
    assertTrue(Double.isNaN(stats.lastClipFraction()));
    assertEquals(Map.of(), stats.deadLettersByReason());
  }
}
