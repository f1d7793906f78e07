package dev.rredcot.model.trainer;

import dev.rredcot.model.policy.TrainStepResult;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trainer's cumulative counters by name, as a {@link TrainerProgress} keeps them across
 * restarts: one constant per name, so the code that counts and the {@link TrainerStats} that reads
 * cannot spell a name two ways.
 *
 * <p>Not thread-safe.
 */
final class TrainerCounters {

  static final String STEPS = "steps";
  static final String ROLLOUTS_CONSUMED = "rollouts_consumed";
  static final String ROLLOUTS_TRAINED = "rollouts_trained";
  static final String DUPLICATES_IGNORED = "duplicates_ignored";
  static final String STALE_DROPPED = "stale_dropped";
  static final String STALE_KEPT = "stale_kept";
  static final String INVALID_RECORDS = "invalid_records";
  static final String ZERO_SIGNAL_GROUPS = "zero_signal_groups";

  /** Prefix of the counters of records sent to dead letters, by reason. */
  static final String DEAD_LETTER_PREFIX = "dead_letters.";

  /** Prefix of the counters of stale records, by reason. */
  static final String STALE_PREFIX = "stale.";

  private final Map<String, Long> counters = new TreeMap<>();

  /** The counters a progress file kept. */
  static TrainerCounters restore(Map<String, Long> saved) {
    TrainerCounters restored = new TrainerCounters();
    restored.counters.putAll(saved);
    return restored;
  }

  /** Adds {@code by} to counter {@code name}. */
  void increment(String name, long by) {
    counters.merge(name, by, Long::sum);
  }

  /** Counts {@code by} records sent to dead letters for {@code reasonLabel}. */
  void deadLetters(String reasonLabel, long by) {
    increment(DEAD_LETTER_PREFIX + reasonLabel, by);
  }

  /** Counts {@code by} stale records for {@code reason}. */
  void stale(String reason, long by) {
    increment(STALE_PREFIX + reason, by);
  }

  /** The value of counter {@code name}; 0 if never counted. */
  long get(String name) {
    return counters.getOrDefault(name, 0L);
  }

  /** Every counter by name, for a progress file. */
  Map<String, Long> asMap() {
    return Collections.unmodifiableMap(counters);
  }

  /**
   * The counters with the trainer's current figures.
   *
   * @param lastResult the last step's result, null before the first step
   */
  TrainerStats stats(
      long policyVersion, int pendingGroups, TrainStepResult lastResult, double heldOutAccuracy) {
    return new TrainerStats(
        policyVersion,
        get(STEPS),
        get(ROLLOUTS_CONSUMED),
        get(ROLLOUTS_TRAINED),
        get(DUPLICATES_IGNORED),
        get(STALE_DROPPED),
        get(STALE_KEPT),
        get(INVALID_RECORDS),
        get(ZERO_SIGNAL_GROUPS),
        byReason(STALE_PREFIX),
        byReason(DEAD_LETTER_PREFIX),
        pendingGroups,
        lastResult == null ? Double.NaN : lastResult.loss(),
        lastResult == null ? Double.NaN : lastResult.kl(),
        lastResult == null ? Double.NaN : lastResult.clipFraction(),
        heldOutAccuracy);
  }

  private Map<String, Long> byReason(String prefix) {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach(
        (name, value) -> {
          if (name.startsWith(prefix)) {
            out.put(name.substring(prefix.length()), value);
          }
        });
    return out;
  }
}
