package dev.rredcot.model.backend;

import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;

/**
 * A policy language model as the credit stages and evaluations use it: scores token sequences and
 * gives boundary values, and, when it declares the {@link BackendCapability capability}, entropies,
 * generation and gradients.
 *
 * <p>A new backend implements one primitive, {@link #logProbs}: the log-probability of every trace
 * token of {@code [bos] + tokens(prompt) + trace}. Answer and continuation-bank values follow from
 * it in {@link BackendValues} (the defaults of {@link #answerValues} and {@link #bankValues}); a
 * backend that can reuse a prefix's keys and values across boundaries overrides them and declares
 * {@link BackendCapability#KV_REUSE}, and must agree with the defaults to float rounding.
 *
 * <p>Token ids are those of {@link #tokenizer()}, which is how rollouts record their traces; a
 * Hugging Face {@code tokenizer.json} serves through {@link
 * dev.rredcot.model.tokenizer.HuggingFaceTokenizerAdapter}. Implementations are thread-safe.
 */
public interface PolicyBackend extends AutoCloseable {

  /** Short description for logs and errors, e.g. {@code builtin v42} or the server URL. */
  String description();

  /** Policy version the values are attributed to (a checkpoint version; 0 when unknown). */
  long version();

  /** What this backend can do beyond {@link #logProbs}. */
  Set<BackendCapability> capabilities();

  /** The tokenizer of the token ids this backend scores. */
  Tokenizer tokenizer();

  /** Most positions (bos, prompt and trace tokens) one sequence may have. */
  int maxContext();

  /**
   * Log-probabilities of each request's trace tokens: element j of result i is {@code log p(trace_j
   * | [bos] + tokens(prompt) + trace[0:j])}. Empty traces are refused.
   */
  List<float[]> logProbs(List<ScoreRequest> batch);

  /** Whether this backend declares {@code capability}. */
  default boolean supports(BackendCapability capability) {
    return capabilities().contains(capability);
  }

  /**
   * Fails unless this backend declares {@code capability}; stages call it at start-up so a missing
   * capability stops the job with one message rather than failing every record.
   *
   * @param purpose what needs it, e.g. {@code "--value-estimator=mc"}
   * @throws UnsupportedCapabilityException when the capability is missing
   */
  default void require(BackendCapability capability, String purpose) {
    if (!supports(capability)) {
      throw new UnsupportedCapabilityException(description(), capability, purpose);
    }
  }

  /** Positions a sequence of {@code prompt} and {@code traceTokens} trace tokens needs. */
  default int contextLength(String prompt, int traceTokens) {
    return 1 + tokenizer().encode(prompt).length + traceTokens;
  }

  /**
   * Log-probabilities and predictive entropies of every trace token.
   *
   * @throws UnsupportedCapabilityException without {@link BackendCapability#ENTROPIES}
   */
  default List<TraceScore> score(List<ScoreRequest> batch) {
    require(BackendCapability.ENTROPIES, "per-token entropies");
    throw new IllegalStateException(description() + " declares entropies but does not score");
  }

  /**
   * Answer-probability values {@code p(answer | prompt + trace[0:b] + cue)} for every boundary b
   * (see {@link ValueRequest}); {@code reuseKvCache} is a hint that backends without {@link
   * BackendCapability#KV_REUSE} ignore.
   */
  default List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
    return BackendValues.answerValues(this, batch);
  }

  /**
   * Continuation-bank values for every boundary (see {@link BankRequest}); {@code reuseKvCache} as
   * in {@link #answerValues}.
   */
  default List<double[]> bankValues(List<BankRequest> batch, boolean reuseKvCache) {
    return BackendValues.bankValues(this, batch);
  }

  /**
   * Samples a continuation for every request.
   *
   * @throws UnsupportedCapabilityException without {@link BackendCapability#GENERATION}
   */
  default List<Sample> generate(List<GenerationRequest> requests, GenerationOptions options) {
    require(BackendCapability.GENERATION, "sampling continuations");
    throw new IllegalStateException(description() + " declares generation but does not generate");
  }

  /**
   * Gradient × input attribution of {@code log p(answer | prompt + trace + cue)} per trace token.
   *
   * @throws UnsupportedCapabilityException without {@link BackendCapability#GRADIENTS}
   */
  default List<double[]> gradientTimesInput(List<ValueRequest> batch) {
    require(BackendCapability.GRADIENTS, "gradient attribution");
    throw new IllegalStateException(description() + " declares gradients but has none");
  }

  /** Real token positions this instance has run through the model, or 0 when it cannot tell. */
  default long forwardTokens() {
    return 0;
  }

  /** Releases the model (native memory, connections). */
  @Override
  void close();
}
