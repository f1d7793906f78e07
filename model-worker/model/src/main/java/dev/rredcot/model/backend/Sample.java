package dev.rredcot.model.backend;

/**
 * The generated part of one sequence (forced prefix excluded).
 *
 * @param tokenIds generated token ids (includes the eos id when the model stopped with it)
 * @param text decoded text of {@code tokenIds}
 * @param logProbs log-probability (nats, untempered model distribution) of each generated token
 * @param entropies entropy in nats of the untempered model distribution at each generated step
 * @param stopReason why generation ended
 */
public record Sample(
    int[] tokenIds, String text, float[] logProbs, float[] entropies, StopReason stopReason) {

  /** Why a sequence stopped. */
  public enum StopReason {
    /** The model emitted eos. */
    EOS,
    /** The newline that ends the answer line (the line starting with the answer cue). */
    ANSWER_LINE,
    /** {@code maxTokens} were generated. */
    MAX_TOKENS,
    /** The sequence reached the model's maxContext. */
    MAX_CONTEXT
  }
}
