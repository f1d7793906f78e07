package dev.rredcot.schemas;

import java.util.List;

/** Names of the Kafka topics that carry the project's contracts, one Avro record type per topic. */
public final class Topics {
  /** {@link Prompt} records written by the task feeder, read by rollout workers. */
  public static final String PROMPTS = "prompts";

  /** {@link Rollout} records keyed by group id, read by the credit pipeline. */
  public static final String ROLLOUTS = "rollouts";

  /** {@link CreditedRollout} records written by the credit pipeline, read by the trainer. */
  public static final String CREDITED_ROLLOUTS = "credited-rollouts";

  /** {@link PolicyCheckpoint} announcements written by the trainer. */
  public static final String CHECKPOINTS = "checkpoints";

  /** {@link DeadLetter} records from any stage that could not process its input. */
  public static final String DEAD_LETTERS = "dead-letters";

  /**
   * {@link BudgetEvent} records, the in-flight budget's ledger: claims of rollout workers,
   * retirements of the trainer; every writer uses one key, so the ledger lives in one partition.
   */
  public static final String ROLLOUT_BUDGET = "rollout-budget";

  /** Every topic the local stack creates. */
  public static final List<String> ALL =
      List.of(PROMPTS, ROLLOUTS, CREDITED_ROLLOUTS, CHECKPOINTS, DEAD_LETTERS, ROLLOUT_BUDGET);

  private Topics() {}
}
