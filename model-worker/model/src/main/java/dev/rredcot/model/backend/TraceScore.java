package dev.rredcot.model.backend;

/**
 * Per trace token log-probabilities and predictive entropies (nats).
 *
 * @param logProbs log p(token_j | prompt, trace[0:j])
 * @param entropies entropy of the model's distribution at the position predicting token j
 */
public record TraceScore(float[] logProbs, float[] entropies) {}
