package dev.rredcot.pipelines.ingest;

import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The invariants of one {@link Rollout} record (documented on each field of {@code Rollout.avsc}),
 * checked at ingest before any model work; each violated invariant has a stable kebab-case reason
 * used in dead letters and metrics, and its message names the offending field.
 *
 * <p>Only what is checkable without a model is checked here: ids, group shape, lengths, ranges and
 * finiteness, the plausibility of the behaviour log-probs, the task family, and the reward against
 * that family's verifier. With a {@link TokenizerSource} (the job passes the scoring policy's
 * tokenizer) the token ids are decoded too and must spell the text: the reward is verified on the
 * text but the trainer learns from the ids, so the two must say the same thing. Text fields are
 * compared in Unicode normal form C: {@link #normalised} is applied before any check. Invariants
 * across the records of a group are the group contract's ({@code GroupContract} of the group
 * package).
 *
 * <p>The log-prob bound ({@code implausible-log-probs}) is a per-token floor of {@code -(ln V +
 * margin)} nats, V the vocabulary size (the tokenizer's, else {@link #DEFAULT_MAX_VOCAB_SIZE}). A
 * token sampled from any distribution over V tokens has probability below {@code e^-(ln V + m)}
 * with probability less than {@code V * e^-(ln V + m) = e^-m} (the tokens that improbable have that
 * much mass together), so with the default margin of {@value #DEFAULT_LOG_PROB_MARGIN} nats a true
 * sample is refused less than once in 10^17 tokens, while a forged -200 (whose importance ratio
 * {@code exp(log pi - log mu)} overflows a float and makes the trainer's gradient NaN) is refused.
 * A per-token floor is chosen over a bound on the trace mean because the trainer's ratio is per
 * token: one forged token is enough to overflow it, however plausible the rest of the trace.
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

  /**
   * Vocabulary size assumed by the log-prob floor when no tokenizer is known: 2^18, more than any
   * common language-model vocabulary (an overestimate only lowers the floor).
   */
  public static final int DEFAULT_MAX_VOCAB_SIZE = 1 << 18;

  /**
   * Margin m (nats) of the log-prob floor {@code -(ln V + m)}: a true sample falls below it with
   * probability under {@code e^-m} per token (about 4e-18).
   */
  public static final double DEFAULT_LOG_PROB_MARGIN = 40.0;

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
          "implausible-log-probs",
          "entropies-length-mismatch",
          "non-finite-entropy",
          "negative-entropy",
          "unmappable-tokens",
          "tokens-text-mismatch",
          "invalid-reward",
          "unknown-task-family",
          "malformed-reference-answer",
          "reward-mismatch");

  /**
   * The reasons checked only when the contract has a tokenizer ({@link Builder#optTokenizer}): a
   * job without one cannot decode token ids.
   */
  public static final List<String> TOKENIZER_REASONS =
      List.of("unmappable-tokens", "tokens-text-mismatch");

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
  private final double logProbMargin;
  // The family list as given (serializable); the registry it names is loaded once per instance.
  private final String taskFamilies;
  private final TokenizerSource tokenizerSource;
  private transient @Nullable TaskFamilyRegistry registry;
  // Opened once per instance (a deserialized copy opens its own); empty: ids are not decoded.
  private transient @Nullable Optional<Tokenizer> tokenizer;

  private RolloutContract(Builder builder) {
    this.minGroupSize = builder.minGroupSize;
    this.maxGroupSize = builder.maxGroupSize;
    this.maxPolicyVersion = builder.maxPolicyVersion;
    this.maxPromptChars = builder.maxPromptChars;
    this.maxTextChars = builder.maxTextChars;
    this.logProbMargin = builder.logProbMargin;
    this.taskFamilies = builder.taskFamilies;
    this.tokenizerSource = builder.tokenizerSource;
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
   * The rollout with its text fields (prompt, text, extracted and reference answers, reference
   * solution) in Unicode normal form C, the form every check and every later stage sees: two
   * spellings of one string (a precomposed letter and a letter with a combining mark) must not
   * verify, group or decode differently. The same instance when it is already normalised. Ids are
   * opaque and kept as they are.
   */
  public static Rollout normalised(Rollout rollout) {
    String promptText = nfc(rollout.getPromptText());
    String text = nfc(rollout.getText());
    String extracted = nfc(rollout.getExtractedAnswer());
    String reference = nfc(rollout.getReferenceAnswer());
    String solution = nfc(rollout.getReferenceSolution());
    if (Objects.equals(promptText, rollout.getPromptText())
        && Objects.equals(text, rollout.getText())
        && Objects.equals(extracted, rollout.getExtractedAnswer())
        && Objects.equals(reference, rollout.getReferenceAnswer())
        && Objects.equals(solution, rollout.getReferenceSolution())) {
      return rollout;
    }
    return Rollout.newBuilder(rollout)
        .setPromptText(promptText)
        .setText(text)
        .setExtractedAnswer(extracted)
        .setReferenceAnswer(reference)
        .setReferenceSolution(solution)
        .build();
  }

  private static @Nullable String nfc(@Nullable CharSequence value) {
    if (value == null) {
      return null;
    }
    String string = value.toString();
    return Normalizer.isNormalized(string, Normalizer.Form.NFC)
        ? string
        : Normalizer.normalize(string, Normalizer.Form.NFC);
  }

  /**
   * The first violated invariant of {@code rollout} after {@link #normalised}, or empty when the
   * rollout can be credited. Never throws on a decoded record.
   *
   * @throws UncheckedIOException when this contract's tokenizer cannot be read (a fault of the job,
   *     not of the record: it fails where the stage starts, see {@link #openTokenizer})
   */
  public Optional<Violation> firstViolation(Rollout rollout) {
    Rollout checked = normalised(rollout);
    Optional<Violation> found = checkIds(checked);
    if (found.isEmpty()) {
      found = checkGroup(checked);
    }
    if (found.isEmpty()) {
      found = checkTexts(checked);
    }
    if (found.isEmpty()) {
      found = checkTokens(checked);
    }
    if (found.isEmpty()) {
      found = checkDecodedText(checked);
    }
    if (found.isEmpty()) {
      found = checkReward(checked);
    }
    return found;
  }

  /**
   * Opens the tokenizer of this contract's {@link TokenizerSource} if not yet open; stages call it
   * in {@code @Setup} so that an unreadable tokenizer stops the job at start.
   *
   * @return the tokenizer, or empty when the source has none (token ids are then not decoded)
   * @throws UncheckedIOException when the source names a tokenizer that cannot be read
   */
  public Optional<Tokenizer> openTokenizer() {
    if (tokenizer == null) {
      try {
        tokenizer = tokenizerSource.open();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the tokenizer of the rollout contract", e);
      }
    }
    return tokenizer;
  }

  /**
   * Closes the tokenizer opened by {@link #openTokenizer} when it holds native resources (a Hugging
   * Face one); stages call it in {@code @Teardown}. A later check opens it again.
   */
  public void closeTokenizer() {
    Optional<Tokenizer> opened = tokenizer;
    tokenizer = null;
    if (opened != null && opened.isPresent() && opened.get() instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // Closing frees memory only; a failure to do so changes no result.
        LoggerFactory.getLogger(RolloutContract.class).warn("closing the tokenizer failed", e);
      }
    }
  }

  /** The per-token log-prob floor {@code -(ln V + margin)} for a vocabulary of {@code vocab}. */
  public double logProbFloor(int vocab) {
    return -(Math.log(Math.max(2, vocab)) + logProbMargin);
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

  private Optional<Violation> checkTokens(Rollout rollout) {
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
    int vocab = openTokenizer().map(Tokenizer::vocabSize).orElse(DEFAULT_MAX_VOCAB_SIZE);
    double floor = logProbFloor(vocab);
    for (int i = 0; i < tokens; i++) {
      float logProb = logProbs.get(i);
      if (logProb < floor) {
        return violation(
            "implausible-log-probs",
            "logProbs",
            String.format(
                java.util.Locale.ROOT,
                "logProbs[%d] = %s is below the floor %.2f = -(ln %d + %.0f): no sampler draws a"
                    + " token that improbable",
                i,
                logProb,
                floor,
                vocab,
                logProbMargin));
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

  /**
   * With a tokenizer: every id must be a text token of it ({@code unmappable-tokens}: in its
   * vocabulary, not padding or beginning-of-sequence; end-of-sequence is allowed, the decoder drops
   * it), and the decoded ids, in normal form C, must equal the text ({@code tokens-text-mismatch}).
   */
  private Optional<Violation> checkDecodedText(Rollout rollout) {
    Optional<Tokenizer> opened = openTokenizer();
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    Tokenizer tok = opened.get();
    List<Integer> tokenIds = rollout.getTokenIds();
    int[] ids = new int[tokenIds.size()];
    for (int i = 0; i < ids.length; i++) {
      int id = tokenIds.get(i);
      if (id >= tok.vocabSize() || id == tok.padId() || id == tok.bosId()) {
        return violation(
            "unmappable-tokens",
            "tokenIds",
            "tokenIds["
                + i
                + "] = "
                + id
                + " is not a text token of tokenizer "
                + tok.name()
                + " (vocab "
                + tok.vocabSize()
                + ")");
      }
      ids[i] = id;
    }
    String decoded;
    try {
      decoded = nfc(tok.decode(ids));
    } catch (RuntimeException e) {
      return violation(
          "unmappable-tokens",
          "tokenIds",
          "tokenIds do not decode with tokenizer " + tok.name() + ": " + e.getMessage());
    }
    String text = rollout.getText() == null ? "" : rollout.getText();
    if (!decoded.equals(text)) {
      int at = 0;
      while (at < decoded.length() && at < text.length() && decoded.charAt(at) == text.charAt(at)) {
        at++;
      }
      return violation(
          "tokens-text-mismatch",
          "tokenIds",
          "tokenIds decode with tokenizer "
              + tok.name()
              + " to "
              + decoded.length()
              + " chars that differ from text ("
              + text.length()
              + " chars) from char "
              + at
              + ": decoded "
              + excerpt(decoded, at)
              + ", text "
              + excerpt(text, at));
    }
    return Optional.empty();
  }

  /** Up to 20 chars of {@code value} from {@code at}, quoted with escapes, for messages. */
  private static String excerpt(String value, int at) {
    String part = value.substring(at, Math.min(value.length(), at + 20));
    return "\""
        + part.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"")
        + (at + 20 < value.length() ? "..." : "")
        + "\"";
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
    private double logProbMargin = DEFAULT_LOG_PROB_MARGIN;
    private String taskFamilies = "";
    private TokenizerSource tokenizerSource = TokenizerSource.none();

    private Builder() {}

    /**
     * The task families whose rewards can be re-verified, as the value stage's {@code
     * --task-families} list (default: the built-in ones); a record of any other family is a dead
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

    /**
     * Margin in nats of the log-prob floor {@code -(ln V + margin)} (default {@link
     * #DEFAULT_LOG_PROB_MARGIN}).
     */
    public Builder optLogProbMargin(double value) {
      this.logProbMargin = value;
      return this;
    }

    /**
     * The tokenizer of the policy that scores and trains the token ids (default {@link
     * TokenizerSource#none()}: ids are not decoded and the log-prob floor assumes {@link
     * #DEFAULT_MAX_VOCAB_SIZE}).
     */
    public Builder optTokenizer(TokenizerSource value) {
      this.tokenizerSource = Objects.requireNonNull(value, "tokenizer");
      return this;
    }

    /** The contract; rejects empty or inverted bounds. */
    public RolloutContract build() {
      if (minGroupSize < 1 || maxGroupSize < minGroupSize) {
        throw new IllegalArgumentException(
            "group size range (--min-group-size, --max-group-size) must satisfy 1 <= min <= max, got ["
                + minGroupSize
                + ", "
                + maxGroupSize
                + "]");
      }
      if (!(logProbMargin >= 0 && logProbMargin < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            "the log-prob margin must be finite and >= 0, got " + logProbMargin);
      }
      if (maxPolicyVersion < 0 || maxPromptChars < 1 || maxTextChars < 1) {
        throw new IllegalArgumentException(
            "maxPolicyVersion must be >= 0 and maxPromptChars, maxTextChars >= 1");
      }
      return new RolloutContract(this);
    }
  }
}
