package dev.rredcot.model.backend;

import java.util.Locale;

/** What a {@link PolicyBackend} can do beyond scoring token sequences. */
public enum BackendCapability {
  /** Per-token predictive entropies in {@link PolicyBackend#score} (entropy segmentation). */
  ENTROPIES,
  /** Sampling continuations with {@link PolicyBackend#generate} (Monte Carlo values). */
  GENERATION,
  /** Prefix keys and values reused across boundary values of one trace (faster, same values). */
  KV_REUSE,
  /** Gradients with respect to token embeddings ({@link PolicyBackend#gradientTimesInput}). */
  GRADIENTS,
  /** Parameter updates (the trainer's policy); informational for the credit stages. */
  TRAINING;

  /** Lower-case name with dashes, e.g. {@code kv-reuse}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
