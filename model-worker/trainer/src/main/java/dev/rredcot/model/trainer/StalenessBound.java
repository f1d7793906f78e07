package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerCounters.STALE_DROPPED;
import static dev.rredcot.model.trainer.TrainerCounters.STALE_KEPT;

import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The hard staleness bound S and its accounting: which rollouts are more than S versions behind the
 * trainer's policy, and what becomes of them as the {@link StalenessMode} says: dropped (counted by
 * reason and listed in the stale-rollouts log) or kept for training (counted).
 *
 * <p>Not thread-safe.
 */
final class StalenessBound {

  private final int bound;
  private final StalenessMode mode;
  private final TrainedRolloutLog staleLog;
  private final TrainerCounters counters;

  /**
   * @param bound S, in policy versions
   * @param mode what happens to rollouts beyond S
   * @param staleLog the stale-rollouts log, appended to for every dropped rollout (not closed here)
   * @param counters the trainer's counters
   */
  StalenessBound(
      int bound, StalenessMode mode, TrainedRolloutLog staleLog, TrainerCounters counters) {
    this.bound = bound;
    this.mode = mode;
    this.staleLog = staleLog;
    this.counters = counters;
  }

  /** Whether a rollout of {@code behaviourVersion} is more than S behind {@code policyVersion}. */
  boolean isStale(long behaviourVersion, long policyVersion) {
    return behaviourVersion < policyVersion - bound;
  }

  /** Whether groups that go stale while they wait for their members are dropped too. */
  boolean dropsPendingGroups() {
    return mode == StalenessMode.DROP;
  }

  /**
   * Applies the bound to {@code record} as it arrives while the policy is at {@code policyVersion}:
   * a stale record is dropped (counted, and listed in the stale log) or kept (counted), as the mode
   * says.
   *
   * @return why the record is dropped, in words; empty when it is kept, stale or not
   * @throws IOException when the stale log cannot be written
   */
  Optional<String> dropOnArrival(CreditedRollout record, long policyVersion) throws IOException {
    if (!isStale(record.getPolicyVersion(), policyVersion)) {
      return Optional.empty();
    }
    if (mode == StalenessMode.DROP) {
      counters.increment(STALE_DROPPED, 1);
      counters.stale("dropped-on-arrival", 1);
      staleLog.append(policyVersion, List.of(record));
      return Optional.of(
          "policy version "
              + record.getPolicyVersion()
              + " is more than "
              + bound
              + " behind "
              + policyVersion);
    }
    counters.increment(STALE_KEPT, 1);
    counters.stale("kept-importance-weighted", 1);
    return Optional.empty();
  }

  /**
   * Accounts for the members of a buffered group dropped because it went stale while the policy
   * moved on to {@code policyVersion}: counts them and lists them in the stale log.
   *
   * @throws IOException when the stale log cannot be written
   */
  void dropPending(List<CreditedRollout> members, long policyVersion) throws IOException {
    counters.increment(STALE_DROPPED, members.size());
    counters.stale("dropped-while-pending", members.size());
    staleLog.append(policyVersion, members);
  }
}
