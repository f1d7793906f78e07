package dev.rredcot.model.trainer;

/** What the trainer does with rollouts sampled more than S versions behind its current policy. */
public enum StalenessMode {
  /** Drop them and count {@code stale_dropped}. */
  DROP,
  /**
   * Train on them anyway: the PPO ratio {@code π/μ} against the recorded behaviour log-probs is the
   * importance weight, clipped to {@code [1-ε, 1+ε]} where it would push further; counted {@code
   * stale_kept}.
   */
  IMPORTANCE_WEIGHT
}
