package dev.rredcot.pipelines.ingest;

import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.schemas.Rollout;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The invariants of one {@link Rollout} record (documented on each field of {@code Rollout.avsc}),
 * checked at ingest before any model work; each violated invariant has a stable kebab-case reason
 * used in dead letters and metrics, and its message names the offending field.
 *
 * <p>Only what is checkable without a model is checked here: ids, group shape, lengths, ranges and
 * finiteness, the task family, and the reward against that family's verifier. Token ids are not
 * decoded: the tokenizer belongs to the scoring policy. Invariants across the records of a group
 * are {@link dev.rredcot.pipelines.group.GroupContract}'s.
 */
public final class RolloutContract implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Smallest group size accepted by default: a group of one has no baseline. */
  public static final int DEFAULT_MIN_GROUP_SIZE = 2;

  /** Largest group size accepted by default. */
  public static final int DEFAULT_MAX_GROUP_SIZE = 1024;

  /** Largest policy version accepted by default (versions count trainer steps). */
  public static final long DEFAULT_MAX_POLICY_VERSION = 1_000_000_000L;

  /** Longest prompt text accepted by default, in chars. */
  public static final int DEFAULT_MAX_PROMPT_CHARS = 1 << 16;

  /** Longest generated text accepted by default, in chars. */
  public static final int DEFAULT_MAX_TEXT_CHARS = 1 << 18;

  /** Every reason a violation can have, in the order the invariants are checked. */
  public static final List<String> REASONS =
      List.of(
          "missing-id",
          "invalid-group-size",
          "sample-index-out-of-range",
          "invalid-policy-version",
          "prompt-length-out-of-range",
          "text-too-long",
          "missing-reference-answer",
          "empty-trace",
          "negative-token-id",
          "logprobs-length-mismatch",
          "non-finite-logprob",
          "positive-logprob",
          "entropies-length-mismatch",
          "non-finite-entropy",
          "negative-entropy",
          "invalid-reward",
          "unknown-task-family",
          "malformed-reference-answer",
          "reward-mismatch");

  /** A violated invariant: machine-readable reason, the offending field and what is wrong. */
  public static final class Violation {
    private final String reason;
    private final String field;
    private final String message;

    Violation(String reason, String field, String message) {
      this.reason = reason;
      this.field = field;
      this.message = message;
    }

    /** A violation of any record contract (also the cross-record one of grouping). */
    public static Violation of(String reason, String field, String message) {
      return new Violation(reason, field, message);
    }

    /** Stable kebab-case reason, e.g. {@code non-finite-logprob}. */
    public String reason() {
      return reason;
    }

    /** Name of the offending Rollout field, e.g. {@code logProbs}. */
    public String field() {
      return field;
    }

    /** What is wrong; starts with the field name. */
    public String message() {
      return message;
    }

    @Override
    public String toString() {
      return reason + ": " + message;
    }
  }

  private final int minGroupSize;
  private final int maxGroupSize;
  private final long maxPolicyVersion;
  private final int maxPromptChars;
  private final int maxTextChars;
  // The family list as given (serializable); the registry it names is loaded once per instance.
  private final String taskFamilies;
  private transient @Nullable TaskFamilyRegistry registry;

  private RolloutContract(Builder builder) {
    this.minGroupSize = builder.minGroupSize;
    this.maxGroupSize = builder.maxGroupSize;
    this.maxPolicyVersion = builder.maxPolicyVersion;
    this.maxPromptChars = builder.maxPromptChars;
    this.maxTextChars = builder.maxTextChars;
    this.taskFamilies = builder.taskFamilies;
    TaskFamilyRegistry.parse(
        taskFamilies); // a bad list fails when the job is built, not per record
  }

  /** The contract with the default bounds. */
  public static RolloutContract defaults() {
    return builder().build();
  }

  /** A builder starting from the default bounds. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The first violated invariant, or empty when the rollout can be credited. Never throws on a
   * decoded record.
   */
  public Optional<Violation> firstViolation(Rollout rollout) {
    Optional<Violation> found = checkIds(rollout);
    if (found.isEmpty()) {
      found = checkGroup(rollout);
    }
    if (found.isEmpty()) {
      found = checkTexts(rollout);
    }
    if (found.isEmpty()) {
      found = checkTokens(rollout);
    }
    if (found.isEmpty()) {
      found = checkReward(rollout);
    }
    return found;
  }

  private static Optional<Violation> checkIds(Rollout rollout) {
    if (isEmpty(rollout.getRolloutId())) {
      return violation("missing-id", "rolloutId", "rolloutId must be non-empty");
    }
    if (isEmpty(rollout.getGroupId())) {
      return violation("missing-id", "groupId", "groupId must be non-empty");
    }
    if (isEmpty(rollout.getPromptId())) {
      return violation("missing-id", "promptId", "promptId must be non-empty");
    }
    return Optional.empty();
  }

  private Optional<Violation> checkGroup(Rollout rollout) {
    int groupSize = rollout.getGroupSize();
    if (groupSize < minGroupSize || groupSize > maxGroupSize) {
      return violation(
          "invalid-group-size",
          "groupSize",
          "groupSize " + groupSize + " not in [" + minGroupSize + ", " + maxGroupSize + "]");
    }
    int sampleIndex = rollout.getSampleIndex();
    if (sampleIndex < 0 || sampleIndex >= groupSize) {
      return violation(
          "sample-index-out-of-range",
          "sampleIndex",
          "sampleIndex " + sampleIndex + " not in [0, " + groupSize + ")");
    }
    long version = rollout.getPolicyVersion();
    if (version < 0 || version > maxPolicyVersion) {
      return violation(
          "invalid-policy-version",
          "policyVersion",
          "policyVersion " + version + " not in [0, " + maxPolicyVersion + "]");
    }
    return Optional.empty();
  }

  private Optional<Violation> checkTexts(Rollout rollout) {
    int promptChars = length(rollout.getPromptText());
    if (promptChars == 0 || promptChars > maxPromptChars) {
      return violation(
          "prompt-length-out-of-range",
          "promptText",
          "promptText has " + promptChars + " chars, not in [1, " + maxPromptChars + "]");
    }
    int textChars = length(rollout.getText());
    if (textChars > maxTextChars) {
      return violation(
          "text-too-long", "text", "text has " + textChars + " chars, more than " + maxTextChars);
    }
    if (rollout.getReferenceAnswer() == null || rollout.getReferenceAnswer().toString().isBlank()) {
      return violation(
          "missing-reference-answer",
          "referenceAnswer",
          "referenceAnswer of rollout " + rollout.getRolloutId() + " is blank");
    }
    return Optional.empty();
  }

  private static Optional<Violation> checkTokens(Rollout rollout) {
    List<Integer> tokenIds = rollout.getTokenIds();
    int tokens = tokenIds.size();
    if (tokens == 0) {
      return violation(
          "empty-trace", "tokenIds", "tokenIds of rollout " + rollout.getRolloutId() + " is empty");
    }
    for (int i = 0; i < tokens; i++) {
      Integer id = tokenIds.get(i);
      if (id == null || id < 0) {
        return violation(
            "negative-token-id", "tokenIds", "tokenIds[" + i + "] = " + id + " is negative");
      }
    }
    List<Float> logProbs = rollout.getLogProbs();
    if (logProbs.size() != tokens) {
      return violation(
          "logprobs-length-mismatch",
          "logProbs",
          "logProbs has " + logProbs.size() + " values for " + tokens + " tokenIds");
    }
    for (int i = 0; i < tokens; i++) {
      Float logProb = logProbs.get(i);
      if (logProb == null || !Float.isFinite(logProb)) {
        return violation(
            "non-finite-logprob",
            "logProbs",
            "logProbs[" + i + "] = " + logProb + " is not finite");
      }
      if (logProb > 0f) {
        return violation(
            "positive-logprob", "logProbs", "logProbs[" + i + "] = " + logProb + " is > 0");
      }
    }
    List<Float> entropies = rollout.getEntropies();
    if (entropies == null) {
      return Optional.empty();
    }
    if (entropies.size() != tokens) {
      return violation(
          "entropies-length-mismatch",
          "entropies",
          "entropies has " + entropies.size() + " values for " + tokens + " tokenIds");
    }
    for (int i = 0; i < tokens; i++) {
      Float entropy = entropies.get(i);
      if (entropy == null || !Float.isFinite(entropy)) {
        return violation(
            "non-finite-entropy",
            "entropies",
            "entropies[" + i + "] = " + entropy + " is not finite");
      }
      if (entropy < 0f) {
        return violation(
            "negative-entropy", "entropies", "entropies[" + i + "] = " + entropy + " is < 0");
      }
    }
    return Optional.empty();
  }

  private TaskFamilyRegistry registry() {
    if (registry == null) {
      registry = TaskFamilyRegistry.parse(taskFamilies);
    }
    return registry;
  }

  private Optional<Violation> checkReward(Rollout rollout) {
    double reward = rollout.getReward();
    if (!(reward >= 0.0 && reward <= 1.0)) {
      return violation("invalid-reward", "reward", "reward " + reward + " not in [0, 1]");
    }
    TaskFamily family;
    try {
      family = registry().resolve(rollout.getTaskFamily());
    } catch (UnknownTaskFamilyException e) {
      // Checked here, not only by the value stage: a GRPO-only job has no value stage, and a
      // reward no one can verify must not be credited.
      return violation(
          "unknown-task-family",
          "taskFamily",
          "taskFamily " + rollout.getTaskFamily() + " is not a known task family");
    }
    double verified;
    try {
      verified = family.verifyAnswer(rollout.getReferenceAnswer(), rollout.getText()).reward();
    } catch (IllegalArgumentException e) {
      return violation(
          "malformed-reference-answer",
          "referenceAnswer",
          "referenceAnswer is not one of task family " + family.name() + ": " + e.getMessage());
    }
    if (verified != reward) {
      return violation(
          "reward-mismatch",
          "reward",
          "reward "
              + reward
              + " but task family "
              + family.name()
              + " verifies text against referenceAnswer to "
              + verified);
    }
    return Optional.empty();
  }

  private static boolean isEmpty(CharSequence value) {
    return value == null || value.length() == 0;
  }

  private static int length(CharSequence value) {
    return value == null ? 0 : value.length();
  }

  private static Optional<Violation> violation(String reason, String field, String message) {
    return Optional.of(new Violation(reason, field, message));
  }

  /** Bounds of a {@link RolloutContract}; every bound has a default. */
  public static final class Builder {
    private int minGroupSize = DEFAULT_MIN_GROUP_SIZE;
    private int maxGroupSize = DEFAULT_MAX_GROUP_SIZE;
    private long maxPolicyVersion = DEFAULT_MAX_POLICY_VERSION;
    private int maxPromptChars = DEFAULT_MAX_PROMPT_CHARS;
    private int maxTextChars = DEFAULT_MAX_TEXT_CHARS;
    private String taskFamilies = "";

    private Builder() {}

    /**
     * The task families whose rewards can be re-verified, as the value stage's {@code
     * --taskFamilies} list (default: the built-in ones); a record of any other family is a dead
     * letter.
     */
    public Builder optTaskFamilies(String value) {
      this.taskFamilies = Objects.requireNonNull(value, "taskFamilies");
      return this;
    }

    /**
     * Group sizes accepted, inclusive (default {@link #DEFAULT_MIN_GROUP_SIZE} to {@link
     * #DEFAULT_MAX_GROUP_SIZE}).
     */
    public Builder optGroupSizeRange(int min, int max) {
      this.minGroupSize = min;
      this.maxGroupSize = max;
      return this;
    }

    /** Largest policy version accepted (default {@link #DEFAULT_MAX_POLICY_VERSION}). */
    public Builder optMaxPolicyVersion(long value) {
      this.maxPolicyVersion = value;
      return this;
    }

    /** Longest prompt text in chars (default {@link #DEFAULT_MAX_PROMPT_CHARS}). */
    public Builder optMaxPromptChars(int value) {
      this.maxPromptChars = value;
      return this;
    }

    /** Longest generated text in chars (default {@link #DEFAULT_MAX_TEXT_CHARS}). */
    public Builder optMaxTextChars(int value) {
      this.maxTextChars = value;
      return this;
    }

    /** The contract; rejects empty or inverted bounds. */
    public RolloutContract build() {
      if (minGroupSize < 1 || maxGroupSize < minGroupSize) {
        throw new IllegalArgumentException(
            "group size range (--minGroupSize, --maxGroupSize) must satisfy 1 <= min <= max, got ["
                + minGroupSize
                + ", "
                + maxGroupSize
                + "]");
      }
      if (maxPolicyVersion < 0 || maxPromptChars < 1 || maxTextChars < 1) {
        throw new IllegalArgumentException(
            "maxPolicyVersion must be >= 0 and maxPromptChars, maxTextChars >= 1");
      }
      return new RolloutContract(this);
    }
  }
}
