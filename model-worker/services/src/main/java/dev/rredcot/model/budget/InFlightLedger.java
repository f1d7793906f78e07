package dev.rredcot.model.budget;

import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.PromptRange;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-flight budget as a fold over the {@code rollout-budget} ledger: rollouts admitted by
 * accepted claims, minus releases, minus what the trainer retired, against the trainer's limit of
 * (S + 1)·B groups. Every reader that folds the same log reaches the same verdict on every claim,
 * so the workers need no coordinator: the log's order is the arbiter. Not thread-safe.
 */
public final class InFlightLedger {

  /** What folding one event did. */
  public enum Verdict {
    /** A claim that fits the budget (or charges nothing): its prompts may be sampled. */
    ACCEPTED,
    /** A claim that would take in-flight rollouts over the limit: charged nothing. */
    REFUSED,
    /** A release or a retirement. */
    APPLIED
  }

  private long admittedRollouts;
  private long retiredRollouts;
  private int limitGroups;
  private boolean retireSeen;
  private BudgetEvent lastRetire;
  // Per (consumer group, topic, partition): the prompt offset below which claims charge nothing.
  private final Map<String, Long> chargedThrough = new HashMap<>();

  /** Folds one event. */
  public Verdict apply(BudgetEvent event) {
    switch (event.getKind()) {
      case CLAIM:
        return claim(event);
      case RELEASE:
        admittedRollouts -= event.getRollouts();
        return Verdict.APPLIED;
      case RETIRE:
        retiredRollouts = event.getRetiredRollouts();
        limitGroups = event.getLimitGroups();
        retireSeen = true;
        lastRetire = event;
        return Verdict.APPLIED;
      default:
        throw new IllegalArgumentException("unknown budget event kind " + event.getKind());
    }
  }

  private Verdict claim(BudgetEvent event) {
    long prompts = chargedPrompts(event);
    long charge = prompts * event.getGroupSize();
    if (charge > 0 && charge > roomRollouts(event.getGroupSize())) {
      return Verdict.REFUSED;
    }
    admittedRollouts += charge;
    for (PromptRange range : event.getRanges()) {
      chargedThrough.merge(
          key(event, range.getPartition()), range.getToOffset(), (a, b) -> a >= b ? a : b);
    }
    return Verdict.ACCEPTED;
  }

  /**
   * Prompts of a claim that an earlier accepted claim of the same consumer group did not cover: a
   * prompt served again after a crash or a rebalance was paid for by its first claim.
   */
  public long chargedPrompts(BudgetEvent claim) {
    long prompts = 0;
    for (PromptRange range : claim.getRanges()) {
      long from =
          Math.max(
              range.getFromOffset(),
              chargedThrough.getOrDefault(key(claim, range.getPartition()), 0L));
      prompts += Math.max(0, range.getToOffset() - from);
    }
    return prompts;
  }

  private static String key(BudgetEvent claim, int partition) {
    return claim.getConsumerGroup() + "\u0000" + claim.getPromptsTopic() + "\u0000" + partition;
  }

  /** Rollouts admitted by accepted claims, less those released. */
  public long admittedRollouts() {
    return admittedRollouts;
  }

  /** The trainer's newest count of rollouts out of flight (0 before its first retirement). */
  public long retiredRollouts() {
    return retiredRollouts;
  }

  /** Admitted minus retired: rollouts sampled or being sampled that the trainer has not read. */
  public long inFlightRollouts() {
    return admittedRollouts - retiredRollouts;
  }

  /** (S + 1)·B as the trainer last published it; 0 before the trainer's first retirement. */
  public int limitGroups() {
    return limitGroups;
  }

  /** Whether a trainer has published a retirement (before that, nothing is admitted). */
  public boolean retireSeen() {
    return retireSeen;
  }

  /** The newest retirement, or null. */
  public BudgetEvent lastRetire() {
    return lastRetire;
  }

  /** Rollouts that may still be admitted by workers of group size {@code groupSize}. */
  public long roomRollouts(int groupSize) {
    return (long) limitGroups * groupSize - inFlightRollouts();
  }
}
