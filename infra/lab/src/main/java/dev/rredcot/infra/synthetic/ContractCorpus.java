package dev.rredcot.infra.synthetic;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.group.GroupContract;
import dev.rredcot.pipelines.group.GroupRollouts;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Good rollout groups with a contract-breaking case between them, one case per invariant the credit
 * job enforces before any model work: bytes that do not decode (one per decoding reason, and a
 * record over the size limit), Avro-valid records that break one invariant of their own ({@link
 * RolloutContract}), and groups that break one cross-record invariant ({@link GroupContract}), plus
 * a redelivered good record. Every entry says what the job must do with it, so a run can be checked
 * record by record. Each case is checked against the contracts when the corpus is built: a case
 * that no longer breaks what it names fails the build of the corpus, not silently the run.
 *
 * <p>The record cases of {@link RolloutContract#TOKENIZER_REASONS} are in the corpus only when
 * asked for ({@link #generate(long, int, int, long, Instant, boolean)}): a job decodes token ids
 * only when it knows the policy's tokenizer (its checkpoint store holds a policy), and the cases
 * are built for the arithmetic tokenizer the synthetic rollouts use.
 */
public final class ContractCorpus {
  /** What the credit job must do with an entry. */
  public enum Outcome {
    /** Credited once. */
    CREDITED,
    /** A copy of a credited entry: ignored, its rollout credited once. */
    REDELIVERY,
    /** Dead-lettered with {@link Entry#stage()} and {@link Entry#reason()}. */
    DEAD_LETTER
  }

  /**
   * One record to send, in order, with the outcome the credit job owes it.
   *
   * @param rolloutId the id of the record's rollout, null when the bytes do not decode
   */
  public record Entry(
      String caseName,
      byte[] key,
      byte[] value,
      @Nullable String rolloutId,
      Outcome outcome,
      @Nullable String stage,
      @Nullable String reason) {}

  private static final RecordCodec<Rollout> CODEC = RecordCodec.of(Rollout.class);

  /**
   * The contract the cases are checked against: defaults, with the synthetic rollouts' tokenizer.
   */
  private static final RolloutContract CONTRACT =
      RolloutContract.builder().optTokenizer(() -> Optional.of(CharTokenizer.arithmetic())).build();

  private static final String PREFIX = "contract-";

  /**
   * Smallest {@code maxRecordBytes} that leaves every other case decodable: the text-too-long case
   * is a record of about 256 KiB.
   */
  public static final long MIN_RECORD_LIMIT = 512 * 1024;

  private final List<Entry> entries;

  private ContractCorpus(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * The corpus: {@code goodGroups} groups of {@code groupSize} good rollouts with the cases spread
   * between them. With {@code maxRecordBytes > 0} it also holds a valid record of more than that
   * many bytes ({@code record-too-large}, for a job run with {@code --max-record-bytes} at that
   * value); 0 leaves it out (a record over the default 1 MiB limit would be refused by the broker).
   */
  public static ContractCorpus generate(
      long seed, int goodGroups, int groupSize, long maxRecordBytes) {
    return generate(seed, goodGroups, groupSize, maxRecordBytes, Instant.now());
  }

  /** As {@link #generate(long, int, int, long)}, every record made at {@code createdAt}. */
  public static ContractCorpus generate(
      long seed, int goodGroups, int groupSize, long maxRecordBytes, Instant createdAt) {
    return generate(seed, goodGroups, groupSize, maxRecordBytes, createdAt, false);
  }

  /**
   * As {@link #generate(long, int, int, long, Instant)}, with a case for each reason of {@link
   * RolloutContract#TOKENIZER_REASONS} when {@code tokenizerCases}: for a job whose policy has the
   * arithmetic tokenizer.
   */
  public static ContractCorpus generate(
      long seed,
      int goodGroups,
      int groupSize,
      long maxRecordBytes,
      Instant createdAt,
      boolean tokenizerCases) {
    if (goodGroups < 1 || groupSize < 2) {
      throw new IllegalArgumentException(
          "need at least one good group of at least 2, got " + goodGroups + " x " + groupSize);
    }
    SyntheticRollouts good =
        SyntheticRollouts.builder()
            .optSeed(seed)
            .optGroupSize(groupSize)
            .optCreatedAt(createdAt)
            .build();
    SyntheticRollouts pairs =
        SyntheticRollouts.builder()
            .optSeed(seed + 1)
            .optGroupSize(2)
            .optCreatedAt(createdAt)
            .build();
    List<List<Entry>> cases = new ArrayList<>();
    Rollout template = pairs.group(0).get(0);
    cases.addAll(undecodable(template, maxRecordBytes));
    int pair = 1;
    for (String reason : RolloutContract.REASONS) {
      if (!tokenizerCases && RolloutContract.TOKENIZER_REASONS.contains(reason)) {
        continue;
      }
      cases.add(List.of(recordCase(reason, pairs.group(pair++).get(0))));
    }
    for (String reason : GroupContract.REASONS) {
      cases.add(groupCase(reason, pairs.group(pair++), seed, createdAt));
    }
    List<Entry> entries = new ArrayList<>();
    int perGood = (cases.size() + goodGroups - 1) / goodGroups;
    int next = 0;
    for (int g = 0; g < goodGroups; g++) {
      List<Rollout> members = good.group(g);
      for (Rollout rollout : members) {
        entries.add(entry("good", rollout, Outcome.CREDITED, null, null));
      }
      if (g == 0) {
        // A producer retry after the group was credited.
        entries.add(entry("redelivery", members.get(0), Outcome.REDELIVERY, null, null));
      }
      for (int c = 0; c < perGood && next < cases.size(); c++) {
        entries.addAll(cases.get(next++));
      }
    }
    if (maxRecordBytes > 0) {
      for (Entry entry : entries) {
        if (entry.rolloutId() != null && entry.value().length > maxRecordBytes) {
          throw new IllegalArgumentException(
              "maxRecordBytes "
                  + maxRecordBytes
                  + " is smaller than case "
                  + entry.caseName()
                  + " ("
                  + entry.value().length
                  + " bytes): the job would not decode it; use at least "
                  + MIN_RECORD_LIMIT);
        }
      }
    }
    return new ContractCorpus(entries);
  }

  /** Every entry in sending order. */
  public List<Entry> entries() {
    return entries;
  }

  /** Every dead-letter reason the corpus exercises. */
  public Set<String> reasons() {
    Set<String> reasons = new LinkedHashSet<>();
    entries.stream().filter(e -> e.reason() != null).forEach(e -> reasons.add(e.reason()));
    return reasons;
  }

  /** Ids the job must credit, each once. */
  public Set<String> creditedIds() {
    Set<String> ids = new LinkedHashSet<>();
    entries.stream()
        .filter(e -> e.outcome() == Outcome.CREDITED)
        .forEach(e -> ids.add(e.rolloutId()));
    return ids;
  }

  /** Rollout id to the reason of its dead letters, for the entries that decode. */
  public Map<String, String> deadLetteredIds() {
    Map<String, String> dead = new LinkedHashMap<>();
    entries.stream()
        .filter(e -> e.outcome() == Outcome.DEAD_LETTER && e.rolloutId() != null)
        .forEach(e -> dead.put(e.rolloutId(), e.reason()));
    return dead;
  }

  /**
   * The entries the job never decodes (undecodable or too large): their dead letters are found by
   * their bytes, which the job keeps.
   */
  public List<Entry> rawEntries() {
    return entries.stream().filter(e -> e.rolloutId() == null).toList();
  }

  /** Number of dead letters the job must write (one per dead-lettered entry). */
  public int deadLetterCount() {
    return (int) entries.stream().filter(e -> e.outcome() == Outcome.DEAD_LETTER).count();
  }

  private static List<List<Entry>> undecodable(Rollout template, long maxRecordBytes) {
    byte[] encoded = CODEC.encode(template);
    List<List<Entry>> cases = new ArrayList<>();
    cases.add(List.of(raw("empty-bytes", new byte[0])));
    cases.add(
        List.of(
            raw(
                "bad-header",
                "{\"rolloutId\": \"json, not Avro\"}".getBytes(StandardCharsets.UTF_8))));
    // A valid single-object header (C3 01) with the fingerprint of no known schema.
    byte[] unknown = encoded.clone();
    Arrays.fill(unknown, 2, 10, (byte) 0x5A);
    cases.add(List.of(raw("unknown-schema", unknown)));
    cases.add(List.of(raw("corrupt-bytes", Arrays.copyOf(encoded, 14))));
    if (maxRecordBytes > 0) {
      Rollout big =
          Rollout.newBuilder(template)
              .setGroupId(PREFIX + "record-too-large")
              .setRolloutId(PREFIX + "record-too-large/0")
              .setText(template.getText() + " ".repeat((int) Math.min(maxRecordBytes, 1 << 20)))
              .build();
      byte[] bytes = CODEC.encode(big);
      if (bytes.length <= maxRecordBytes) {
        throw new IllegalStateException("the too-large case is not larger than the limit");
      }
      cases.add(
          List.of(
              new Entry(
                  ParseRollouts.RECORD_TOO_LARGE,
                  key(big.getGroupId()),
                  bytes,
                  null,
                  Outcome.DEAD_LETTER,
                  ParseRollouts.STAGE,
                  ParseRollouts.RECORD_TOO_LARGE)));
    }
    return cases;
  }

  private static Entry raw(String reason, byte[] value) {
    try {
      CODEC.decode(value);
    } catch (RecordDecodingException e) {
      if (e.reason().label().equals(reason)) {
        return new Entry(
            reason,
            key(PREFIX + reason),
            value,
            null,
            Outcome.DEAD_LETTER,
            ParseRollouts.STAGE,
            reason);
      }
      throw new IllegalStateException(
          "case " + reason + " fails to decode as " + e.reason().label(), e);
    }
    throw new IllegalStateException("case " + reason + " decodes");
  }

  /** One record of its own group that breaks the invariant {@code reason}. */
  private static Entry recordCase(String reason, Rollout good) {
    Rollout rollout = renamed(good, reason);
    mutation(reason).accept(rollout);
    String found =
        CONTRACT.firstViolation(rollout).map(RolloutContract.Violation::reason).orElse("none");
    if (!found.equals(reason)) {
      throw new IllegalStateException("case " + reason + " breaks " + found);
    }
    return entry(reason, rollout, Outcome.DEAD_LETTER, ParseRollouts.STAGE, reason);
  }

  private static Consumer<Rollout> mutation(String reason) {
    return switch (reason) {
      case "missing-id" -> r -> r.setPromptId("");
      case "invalid-group-size" -> r -> r.setGroupSize(1);
      case "sample-index-out-of-range" -> r -> r.setSampleIndex(r.getGroupSize());
      case "invalid-policy-version" -> r -> r.setPolicyVersion(-1L);
      case "prompt-length-out-of-range" -> r -> r.setPromptText("");
      case "text-too-long" ->
          r -> r.setText("1".repeat(RolloutContract.DEFAULT_MAX_TEXT_CHARS + 1));
      case "missing-reference-answer" -> r -> r.setReferenceAnswer(" ");
      case "empty-trace" ->
          r -> {
            r.setTokenIds(List.of());
            r.setLogProbs(List.of());
          };
      case "negative-token-id" -> r -> r.getTokenIds().set(0, -1);
      case "logprobs-length-mismatch" -> r -> r.getLogProbs().remove(0);
      case "non-finite-logprob" -> r -> r.getLogProbs().set(0, Float.NaN);
      case "positive-logprob" -> r -> r.getLogProbs().set(0, 0.5f);
      // Finite and <= 0, but far below any sampler's reach: it made the trainer's gradient NaN.
      case "implausible-log-probs" -> r -> r.getLogProbs().set(0, -200f);
      case "entropies-length-mismatch" ->
          r -> r.setEntropies(entropies(r.getTokenIds().size() + 1, 0.3f));
      case "non-finite-entropy" ->
          r -> {
            r.setEntropies(entropies(r.getTokenIds().size(), 0.3f));
            r.getEntropies().set(0, Float.POSITIVE_INFINITY);
          };
      case "negative-entropy" -> r -> r.setEntropies(entropies(r.getTokenIds().size(), -0.1f));
      case "unmappable-tokens" ->
          r -> r.getTokenIds().set(0, CharTokenizer.arithmetic().vocabSize());
      // The first token says another digit than the text (whose reward is verified).
      case "tokens-text-mismatch" ->
          r -> {
            int zero = CharTokenizer.arithmetic().encode("0")[0];
            int one = CharTokenizer.arithmetic().encode("1")[0];
            r.getTokenIds().set(0, r.getTokenIds().get(0) == zero ? one : zero);
          };
      case "invalid-reward" -> r -> r.setReward(1.5);
      case "unknown-task-family" -> r -> r.setTaskFamily("no-such-family");
      case "malformed-reference-answer" ->
          r -> {
            r.setTaskFamily("countdown");
            r.setReferenceAnswer("forty-two");
          };
      case "reward-mismatch" -> r -> r.setReward(1.0 - r.getReward());
      default -> throw new IllegalStateException("no corpus case for reason " + reason);
    };
  }

  /** The records of a group of two, in order, that break the cross-record invariant. */
  private static List<Entry> groupCase(
      String reason, List<Rollout> pair, long seed, Instant createdAt) {
    Rollout first = renamed(pair.get(0), reason);
    Rollout second = renamed(pair.get(1), reason);
    List<Entry> entries = new ArrayList<>();
    Outcome outcome = Outcome.DEAD_LETTER;
    String stage = GroupRollouts.STAGE;
    switch (reason) {
      case "rollout-id-conflict" -> {
        Rollout other = Rollout.newBuilder(first).build();
        other.setLogProbs(new ArrayList<>(other.getLogProbs()));
        other.getLogProbs().replaceAll(p -> p * 0.5f);
        entries.add(entry(reason, first, outcome, stage, reason));
        entries.add(entry(reason, other, outcome, stage, reason));
        entries.add(entry(reason, second, outcome, stage, reason));
        return checked(reason, entries);
      }
      case "duplicate-sample-index" -> {
        Rollout other = Rollout.newBuilder(second).build();
        other.setRolloutId(first.getRolloutId() + "b");
        other.setSampleIndex(first.getSampleIndex());
        entries.add(entry(reason, first, outcome, stage, reason));
        entries.add(entry(reason, other, outcome, stage, reason));
        entries.add(entry(reason, second, outcome, stage, reason));
        return checked(reason, entries);
      }
      case "late-rollout" -> {
        Rollout late = Rollout.newBuilder(second).build();
        late.setRolloutId(second.getRolloutId() + "-late");
        entries.add(entry(reason, first, Outcome.CREDITED, null, null));
        entries.add(entry(reason, second, Outcome.CREDITED, null, null));
        entries.add(entry(reason, late, outcome, stage, reason));
        return checked(reason, entries);
      }
      case "group-size-mismatch" -> second.setGroupSize(3);
      case "prompt-id-mismatch" -> second.setPromptId(second.getPromptId() + "-other");
      case "prompt-text-mismatch" -> second.setPromptText(second.getPromptText() + " ");
      case "task-family-mismatch" -> {
        Rollout countdown = arithmeticTokenCountdown(seed, createdAt);
        second =
            Rollout.newBuilder(countdown)
                .setRolloutId(second.getRolloutId())
                .setGroupId(second.getGroupId())
                .setPromptId(second.getPromptId())
                .setPromptText(second.getPromptText())
                .setPolicyVersion(second.getPolicyVersion())
                .build();
      }
      case "reference-answer-mismatch" -> {
        String answer = String.valueOf(Long.parseLong(second.getReferenceAnswer()) + 1);
        second.setReferenceAnswer(answer);
        // The pairs are arithmetic; the reward stays what the verifier says of the new answer.
        second.setReward(ArithmeticTask.defaults().verifyAnswer(answer, second.getText()).reward());
      }
      case "policy-version-mismatch" -> second.setPolicyVersion(second.getPolicyVersion() + 1);
      default -> throw new IllegalStateException("no corpus case for reason " + reason);
    }
    entries.add(entry(reason, first, outcome, stage, reason));
    entries.add(entry(reason, second, outcome, stage, reason));
    return checked(reason, entries);
  }

  /**
   * A countdown rollout whose text the arithmetic tokenizer can spell, with its token ids in that
   * tokenizer: alone it keeps the contract of one record in a job with the arithmetic policy, so
   * only the group can tell that its family differs.
   */
  private static Rollout arithmeticTokenCountdown(long seed, Instant createdAt) {
    SyntheticRollouts countdown =
        SyntheticRollouts.builder()
            .optSeed(seed)
            .optGroupSize(2)
            .optTask(BuiltInTask.COUNTDOWN.trained())
            .optCreatedAt(createdAt)
            .build();
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    for (int group = 0; group < 100; group++) {
      for (Rollout rollout : countdown.group(group)) {
        int[] ids;
        try {
          ids = tokenizer.encode(rollout.getText());
        } catch (UnmappableTextException e) {
          continue; // a division or a give-up answer: not in the arithmetic alphabet
        }
        List<Integer> tokenIds = new ArrayList<>();
        for (int id : ids) {
          tokenIds.add(id);
        }
        if (tokenIds.size() != rollout.getLogProbs().size()) {
          continue;
        }
        return Rollout.newBuilder(rollout).setTokenIds(tokenIds).build();
      }
    }
    throw new IllegalStateException(
        "no countdown rollout of seed " + seed + " that the arithmetic tokenizer spells");
  }

  /** Every record of a cross-record case keeps the contract of one record. */
  private static List<Entry> checked(String reason, List<Entry> entries) {
    for (Entry entry : entries) {
      CONTRACT
          .firstViolation(CODEC.decode(entry.value()))
          .ifPresent(
              v -> {
                throw new IllegalStateException("case " + reason + " record breaks " + v);
              });
    }
    return entries;
  }

  private static Rollout renamed(Rollout rollout, String caseName) {
    String groupId = PREFIX + caseName;
    return Rollout.newBuilder(rollout)
        .setGroupId(groupId)
        .setRolloutId(groupId + "/" + rollout.getSampleIndex())
        .setTokenIds(new ArrayList<>(rollout.getTokenIds()))
        .setLogProbs(new ArrayList<>(rollout.getLogProbs()))
        .build();
  }

  private static List<Float> entropies(int count, float value) {
    return new ArrayList<>(Collections.nCopies(count, value));
  }

  private static Entry entry(
      String caseName,
      Rollout rollout,
      Outcome outcome,
      @Nullable String stage,
      @Nullable String reason) {
    return new Entry(
        caseName,
        key(rollout.getGroupId()),
        CODEC.encode(rollout),
        rollout.getRolloutId(),
        outcome,
        stage,
        reason);
  }

  private static byte[] key(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
