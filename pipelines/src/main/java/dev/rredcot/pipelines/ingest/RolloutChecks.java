package dev.rredcot.pipelines.ingest;

import dev.rredcot.schemas.Rollout;
import java.util.Optional;

/**
 * Semantic checks on a decoded {@link Rollout}: the things a schema cannot say but every later
 * stage relies on. Each failed check has a stable kebab-case reason used in dead letters and
 * metrics.
 */
public final class RolloutChecks {
  /** A failed check: machine-readable reason plus a message that says what is wrong. */
  public static final class Violation {
    private final String reason;
    private final String message;

    Violation(String reason, String message) {
      this.reason = reason;
      this.message = message;
    }

    public String reason() {
      return reason;
    }

    public String message() {
      return message;
    }
  }

  private RolloutChecks() {}

  /** The first violated check, or empty when the rollout can be credited. */
  public static Optional<Violation> firstViolation(Rollout rollout) {
    int tokens = rollout.getTokenIds().size();
    if (rollout.getGroupSize() < 1) {
      return violation("invalid-group-size", "groupSize " + rollout.getGroupSize() + " < 1");
    }
    if (rollout.getSampleIndex() < 0 || rollout.getSampleIndex() >= rollout.getGroupSize()) {
      return violation(
          "sample-index-out-of-range",
          "sampleIndex "
              + rollout.getSampleIndex()
              + " not in [0, "
              + rollout.getGroupSize()
              + ")");
    }
    if (tokens == 0) {
      return violation("empty-trace", "rollout " + rollout.getRolloutId() + " has no tokens");
    }
    if (rollout.getLogProbs().size() != tokens) {
      return violation(
          "logprobs-length-mismatch",
          rollout.getLogProbs().size() + " logProbs for " + tokens + " tokens");
    }
    if (rollout.getEntropies() != null && rollout.getEntropies().size() != tokens) {
      return violation(
          "entropies-length-mismatch",
          rollout.getEntropies().size() + " entropies for " + tokens + " tokens");
    }
    if (rollout.getReferenceAnswer() == null || rollout.getReferenceAnswer().isBlank()) {
      return violation(
          "missing-reference-answer",
          "rollout " + rollout.getRolloutId() + " has no referenceAnswer");
    }
    double reward = rollout.getReward();
    if (!(reward >= 0.0 && reward <= 1.0)) {
      return violation("invalid-reward", "reward " + reward + " not in [0, 1]");
    }
    if (rollout.getGroupId().isEmpty() || rollout.getRolloutId().isEmpty()) {
      return violation("missing-id", "rolloutId and groupId must be non-empty");
    }
    return Optional.empty();
  }

  private static Optional<Violation> violation(String reason, String message) {
    return Optional.of(new Violation(reason, message));
  }
}
