package dev.rredcot.model.trainer;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.schemas.CreditedRollout;
import java.util.Optional;

/**
 * Decides whether the trainer's policy can train on a credited rollout: the record must be well
 * formed for that policy (a non-empty trace of ids in its vocabulary that fits its context with the
 * prompt, per-token lists of one length, sane group counts) and free of poison (non-finite or
 * absurd advantages and log-probs).
 */
final class CreditedRecordCheck {

  // A log-probability is at most 0; float rounding in the sampler may overshoot by a hair.
  private static final float LOG_PROB_TOLERANCE = 1e-3f;

  private final PolicyBackend policy;
  private final double maxAbsAdvantage;
  private final double minLogProb;

  /**
   * @param policy the policy the records would train (its vocabulary and context)
   * @param maxAbsAdvantage a token advantage beyond +-this is poison
   * @param minLogProb a token log-prob below this (or above 0) is poison
   */
  CreditedRecordCheck(PolicyBackend policy, double maxAbsAdvantage, double minLogProb) {
    this.policy = policy;
    this.maxAbsAdvantage = maxAbsAdvantage;
    this.minLogProb = minLogProb;
  }

  /** Why {@code record} cannot be trained on, or empty when it can; the first problem found. */
  Optional<Rejection> check(CreditedRollout record) {
    String malformed = malformation(record);
    if (malformed != null) {
      return Optional.of(new Rejection("malformed-credited-rollout", malformed));
    }
    // Poison: one NaN or huge number here turns the step's loss (and then every weight) into NaN.
    for (int i = 0; i < record.getTokenIds().size(); i++) {
      float advantage = record.getTokenAdvantages().get(i);
      float logProb = record.getLogProbs().get(i);
      if (!Float.isFinite(advantage)) {
        return Optional.of(
            new Rejection("non-finite-advantage", "advantage " + advantage + " at token " + i));
      }
      if (!Float.isFinite(logProb)) {
        return Optional.of(
            new Rejection("non-finite-log-prob", "log-prob " + logProb + " at token " + i));
      }
      if (Math.abs(advantage) > maxAbsAdvantage) {
        return Optional.of(
            new Rejection(
                "absurd-advantage",
                "advantage "
                    + advantage
                    + " at token "
                    + i
                    + " exceeds the bound "
                    + maxAbsAdvantage));
      }
      if (logProb > LOG_PROB_TOLERANCE || logProb < minLogProb) {
        return Optional.of(
            new Rejection(
                "absurd-log-prob",
                "log-prob " + logProb + " at token " + i + " is outside [" + minLogProb + ", 0]"));
      }
    }
    return Optional.empty();
  }

  private String malformation(CreditedRollout record) {
    int tokens = record.getTokenIds().size();
    if (tokens == 0) {
      return "empty trace";
    }
    int vocabSize = policy.tokenizer().vocabSize();
    for (int id : record.getTokenIds()) {
      if (id < 0 || id >= vocabSize) {
        return "token id " + id + " outside the vocabulary [0, " + vocabSize + ")";
      }
    }
    int contextTokens;
    try {
      contextTokens = policy.contextLength(record.getPromptText(), tokens);
    } catch (RuntimeException e) {
      return "prompt text cannot be tokenized: " + e.getMessage();
    }
    // bos + prompt + trace must fit the model's context.
    if (contextTokens > policy.maxContext()) {
      return "bos + prompt + trace is "
          + contextTokens
          + " tokens, more than maxContext "
          + policy.maxContext();
    }
    if (record.getLogProbs().size() != tokens || record.getTokenAdvantages().size() != tokens) {
      return "tokenIds ("
          + tokens
          + "), logProbs ("
          + record.getLogProbs().size()
          + ") and tokenAdvantages ("
          + record.getTokenAdvantages().size()
          + ") must have the same length";
    }
    if (record.getGroupCount() <= 0) {
      return "groupCount must be positive, got " + record.getGroupCount();
    }
    if (record.getCreditedCount() < 0 || record.getCreditedCount() > record.getGroupCount()) {
      return "creditedCount must be in [0, groupCount "
          + record.getGroupCount()
          + "], got "
          + record.getCreditedCount();
    }
    if (record.getSampleIndex() < 0) {
      return "sampleIndex must be >= 0, got " + record.getSampleIndex();
    }
    return null;
  }
}
