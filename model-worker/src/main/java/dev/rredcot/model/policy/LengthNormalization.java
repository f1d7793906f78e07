package dev.rredcot.model.policy;

/**
 * How a log-probability summed over tokens is normalised for its length in continuation-bank
 * values.
 */
public enum LengthNormalization {
  /** Plain sum: the product probability of the tokens. */
  NONE,
  /**
   * Sum divided by the token count (geometric mean per-token probability), applied separately to
   * the continuation term log p(u | s) and to the answer term log p(y | s, u, cue), so long
   * continuations are not driven to zero.
   */
  PER_TOKEN
}
