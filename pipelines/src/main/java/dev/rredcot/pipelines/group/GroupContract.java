package dev.rredcot.pipelines.group;

import dev.rredcot.pipelines.ingest.RolloutContract.Violation;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The invariants across the records of one GRPO group, checked by {@link GroupRollouts}: one
 * rollout id has one content, one sample index has one rollout, and every member agrees with the
 * others on group size, prompt, task family, reference answer and behaviour policy version. Each
 * broken invariant has a stable kebab-case reason; its message starts with the offending field.
 */
public final class GroupContract {
  /** Same rollout id, other content: which copy is the rollout cannot be known. */
  public static final String ROLLOUT_ID_CONFLICT = "rollout-id-conflict";

  /** Two rollout ids for one sample index of a group. */
  public static final String DUPLICATE_SAMPLE_INDEX = "duplicate-sample-index";

  /** A rollout for a group that was already credited (or whose memory expired and restarted). */
  public static final String LATE_ROLLOUT = "late-rollout";

  /** One of the fields every member of a group must share, with its reason. */
  private record SharedField(String reason, String field, Function<Rollout, Object> value) {}

  // In the order they are checked; the first disagreement names the group's reason.
  private static final List<SharedField> SHARED_FIELDS =
      List.of(
          new SharedField("group-size-mismatch", "groupSize", Rollout::getGroupSize),
          new SharedField("prompt-id-mismatch", "promptId", r -> text(r.getPromptId())),
          new SharedField("prompt-text-mismatch", "promptText", r -> text(r.getPromptText())),
          new SharedField("task-family-mismatch", "taskFamily", r -> text(r.getTaskFamily())),
          new SharedField(
              "reference-answer-mismatch", "referenceAnswer", r -> text(r.getReferenceAnswer())),
          new SharedField("policy-version-mismatch", "policyVersion", Rollout::getPolicyVersion));

  /** Every reason a cross-record violation can have. */
  public static final List<String> REASONS =
      List.of(
          ROLLOUT_ID_CONFLICT,
          DUPLICATE_SAMPLE_INDEX,
          "group-size-mismatch",
          "prompt-id-mismatch",
          "prompt-text-mismatch",
          "task-family-mismatch",
          "reference-answer-mismatch",
          "policy-version-mismatch",
          LATE_ROLLOUT);

  private static final RecordCodec<Rollout> CODEC = RecordCodec.of(Rollout.class);

  private GroupContract() {}

  /**
   * The first field on which {@code member} disagrees with {@code other}, a rollout of the same
   * group (ids and sample indices aside), or empty.
   */
  public static Optional<Violation> disagreement(Rollout member, Rollout other) {
    for (SharedField shared : SHARED_FIELDS) {
      Object mine = shared.value().apply(member);
      Object theirs = shared.value().apply(other);
      if (!Objects.equals(mine, theirs)) {
        return Optional.of(
            Violation.of(
                shared.reason(),
                shared.field(),
                shared.field()
                    + " "
                    + quote(mine)
                    + " of rollout "
                    + member.getRolloutId()
                    + " disagrees with "
                    + quote(theirs)
                    + " of rollout "
                    + other.getRolloutId()
                    + " in group "
                    + member.getGroupId()));
      }
    }
    return Optional.empty();
  }

  /**
   * A digest of everything a rollout says except when it was made ({@code createdAtMs}): two
   * records with the same id and fingerprint are one rollout delivered twice (a producer retry, or
   * a worker that sampled the same prompts again with the same policy, which gives the same
   * traces).
   */
  public static String fingerprint(Rollout rollout) {
    Rollout content = Rollout.newBuilder(rollout).setCreatedAtMs(Instant.EPOCH).build();
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(CODEC.encode(content));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The violation of two contents under one rollout id. */
  static Violation idConflict(Rollout rollout, String otherFingerprint, boolean credited) {
    return Violation.of(
        ROLLOUT_ID_CONFLICT,
        "rolloutId",
        "rolloutId "
            + rollout.getRolloutId()
            + " arrived with content "
            + fingerprint(rollout)
            + " and "
            + otherFingerprint
            + (credited ? " after it was credited with the latter" : "")
            + " in group "
            + rollout.getGroupId());
  }

  /** The violation of two rollout ids for one sample index. */
  static Violation sampleIndexTaken(Rollout rollout, Rollout holder) {
    return Violation.of(
        DUPLICATE_SAMPLE_INDEX,
        "sampleIndex",
        "sampleIndex "
            + rollout.getSampleIndex()
            + " of group "
            + rollout.getGroupId()
            + " is claimed by rollouts "
            + holder.getRolloutId()
            + " and "
            + rollout.getRolloutId());
  }

  private static String text(CharSequence value) {
    return value == null ? null : value.toString();
  }

  private static String quote(Object value) {
    if (value instanceof String s) {
      String shown = s.length() > 40 ? s.substring(0, 40) + "..." : s;
      return "\"" + shown.replace("\n", "\\n") + "\"";
    }
    return String.valueOf(value);
  }
}
