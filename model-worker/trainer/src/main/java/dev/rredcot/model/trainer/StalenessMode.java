package dev.rredcot.model.trainer;

/**
 * What the trainer does with rollouts sampled more than S versions behind its current policy (those
 * within S are always trained, importance-weighted against their behaviour log-probs).
 */
public enum StalenessMode {
  /** S is a hard bound: drop them, count {@code stale_dropped} and list them as stale. */
  DROP,
  /**
   * No hard bound: train on them too, with the same truncated importance weight as every rollout
   * (docs/METHOD.md, "5. The trainer's objective"); counted {@code stale_kept}.
   */
  IMPORTANCE_WEIGHT
}
