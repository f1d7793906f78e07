package dev.rredcot.pipelines.ingest;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.in;
import static org.hamcrest.Matchers.startsWith;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.pipelines.RolloutMutations;
import dev.rredcot.pipelines.RolloutMutations.Mutation;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Rollout contract at the door: each invariant broken alone becomes a dead letter with its
 * reason and field, and random mutations are accepted unchanged or dead-lettered, never thrown.
 */
@ExtendWith(TestPipelineExtension.class)
class RolloutContractTest {

  /** The arithmetic policy's tokenizer, as the job would pass the scoring policy's. */
  static final TokenizerSource ARITHMETIC_TOKENIZER = () -> Optional.of(CharTokenizer.arithmetic());

  /** The contract with the default bounds and the arithmetic tokenizer. */
  private static final RolloutContract WITH_TOKENIZER =
      RolloutContract.builder().optTokenizer(ARITHMETIC_TOKENIZER).build();

  /**
   * A valid record with every optional field that the contract checks present, its token ids those
   * of its text under the arithmetic tokenizer.
   */
  private static Rollout valid() {
    Rollout rollout = TestRollouts.rollout("g1", 1, 4, 1.0);
    rollout.setTokenIds(arithmeticIds(rollout.getText()));
    List<Float> entropies =
        new ArrayList<>(Collections.nCopies(rollout.getTokenIds().size(), 0.3f));
    return Rollout.newBuilder(rollout).setEntropies(entropies).build();
  }

  private static List<Integer> arithmeticIds(String text) {
    List<Integer> ids = new ArrayList<>();
    for (int id : CharTokenizer.arithmetic().encode(text)) {
      ids.add(id);
    }
    return ids;
  }

  /** One case: a mutation of the valid record that breaks exactly one invariant. */
  private record Case(String reason, String field, Consumer<Rollout> mutation) {}

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("missing-id", "rolloutId", r -> r.setRolloutId("")));
    cases.add(new Case("missing-id", "groupId", r -> r.setGroupId("")));
    cases.add(new Case("missing-id", "promptId", r -> r.setPromptId("")));
    cases.add(new Case("invalid-group-size", "groupSize", r -> setGroup(r, 0, 1)));
    cases.add(new Case("invalid-group-size", "groupSize", r -> setGroup(r, 0, 1_000_000)));
    cases.add(new Case("invalid-group-size", "groupSize", r -> setGroup(r, 0, -4)));
    cases.add(new Case("sample-index-out-of-range", "sampleIndex", r -> setGroup(r, -1, 4)));
    cases.add(new Case("sample-index-out-of-range", "sampleIndex", r -> setGroup(r, 4, 4)));
    cases.add(new Case("invalid-policy-version", "policyVersion", r -> r.setPolicyVersion(-1L)));
    cases.add(
        new Case(
            "invalid-policy-version", "policyVersion", r -> r.setPolicyVersion(Long.MAX_VALUE)));
    cases.add(new Case("prompt-length-out-of-range", "promptText", r -> r.setPromptText("")));
    cases.add(
        new Case(
            "prompt-length-out-of-range",
            "promptText",
            r -> r.setPromptText("Q".repeat(RolloutContract.DEFAULT_MAX_PROMPT_CHARS + 1))));
    cases.add(
        new Case(
            "text-too-long",
            "text",
            r -> r.setText("1".repeat(RolloutContract.DEFAULT_MAX_TEXT_CHARS + 1))));
    cases.add(
        new Case("missing-reference-answer", "referenceAnswer", r -> r.setReferenceAnswer(" ")));
    cases.add(
        new Case(
            "empty-trace",
            "tokenIds",
            r -> {
              r.setTokenIds(List.of());
              r.setLogProbs(List.of());
              r.setEntropies(List.of());
            }));
    cases.add(new Case("negative-token-id", "tokenIds", r -> r.getTokenIds().set(2, -7)));
    cases.add(new Case("logprobs-length-mismatch", "logProbs", r -> r.getLogProbs().remove(0)));
    cases.add(new Case("non-finite-logprob", "logProbs", r -> r.getLogProbs().set(3, Float.NaN)));
    cases.add(
        new Case(
            "non-finite-logprob",
            "logProbs",
            r -> r.getLogProbs().set(3, Float.NEGATIVE_INFINITY)));
    cases.add(new Case("positive-logprob", "logProbs", r -> r.getLogProbs().set(3, 0.5f)));
    // Finite and <= 0, but no sampler draws a token of probability e^-200 (the trainer's
    // importance ratio overflows on it).
    cases.add(new Case("implausible-log-probs", "logProbs", r -> r.getLogProbs().set(3, -200f)));
    // Just below the floor of the arithmetic tokenizer's vocabulary, -(ln 22 + 40).
    cases.add(
        new Case(
            "implausible-log-probs",
            "logProbs",
            r -> r.getLogProbs().set(0, (float) (-(Math.log(22) + 40.0) - 0.01))));
    cases.add(new Case(null, null, r -> r.getLogProbs().set(0, -43f)));
    cases.add(new Case("entropies-length-mismatch", "entropies", r -> r.getEntropies().add(0.1f)));
    cases.add(
        new Case(
            "non-finite-entropy",
            "entropies",
            r -> r.getEntropies().set(0, Float.POSITIVE_INFINITY)));
    cases.add(new Case("negative-entropy", "entropies", r -> r.getEntropies().set(0, -0.01f)));
    cases.add(new Case("unmappable-tokens", "tokenIds", r -> r.getTokenIds().set(1, 0)));
    cases.add(new Case("unmappable-tokens", "tokenIds", r -> r.getTokenIds().set(1, 22)));
    // The text solves the problem (reward 1 verifies) while the tokens, which are trained, say 41.
    cases.add(
        new Case(
            "tokens-text-mismatch",
            "tokenIds",
            r -> r.setTokenIds(arithmeticIds("12+30=41\nA: 41\n"))));
    cases.add(
        new Case(
            "tokens-text-mismatch",
            "tokenIds",
            r -> {
              int last = r.getTokenIds().size() - 1;
              r.getTokenIds().remove(last);
              r.getLogProbs().remove(last);
              r.getEntropies().remove(last);
            }));
    // An end-of-sequence token after the text is dropped by the decoder.
    cases.add(new Case(null, null, r -> appendEndOfSequence(r)));
    cases.add(new Case("invalid-reward", "reward", r -> r.setReward(Double.NaN)));
    cases.add(new Case("invalid-reward", "reward", r -> r.setReward(1.5)));
    cases.add(new Case("invalid-reward", "reward", r -> r.setReward(-0.0001)));
    // The trace answers 42, which is right: a reward of 0 (or 0.5) contradicts the verifier.
    cases.add(new Case("reward-mismatch", "reward", r -> r.setReward(0.0)));
    cases.add(new Case("reward-mismatch", "reward", r -> r.setReward(0.5)));
    cases.add(
        new Case(
            "malformed-reference-answer",
            "referenceAnswer",
            r -> {
              r.setTaskFamily("countdown");
              r.setReferenceAnswer("forty-two");
            }));
    // A reward no family can verify is never credited, with or without a value stage.
    cases.add(
        new Case("unknown-task-family", "taskFamily", r -> r.setTaskFamily("no-such-family")));
    cases.add(new Case(null, null, r -> r.setEntropies(null)));
    cases.add(new Case(null, null, r -> r.getLogProbs().set(0, 0f)));
    return cases;
  }

  private static void appendEndOfSequence(Rollout rollout) {
    rollout.getTokenIds().add(CharTokenizer.arithmetic().eosId());
    rollout.getLogProbs().add(-0.1f);
    rollout.getEntropies().add(0.3f);
  }

  private static void setGroup(Rollout rollout, int sampleIndex, int groupSize) {
    rollout.setSampleIndex(sampleIndex);
    rollout.setGroupSize(groupSize);
  }

  @Test
  void everyReasonHasACase() {
    Set<String> covered = new HashSet<>();
    for (Case c : cases()) {
      covered.add(c.reason());
    }
    for (String reason : RolloutContract.REASONS) {
      assertThat(reason, in(covered));
    }
  }

  @Test
  void everyReasonIsDocumentedInTheSchema() {
    StringBuilder docs = new StringBuilder();
    Rollout.getClassSchema().getFields().forEach(f -> docs.append(f.doc()).append('\n'));
    List<String> reasons = new ArrayList<>(RolloutContract.REASONS);
    reasons.addAll(dev.rredcot.pipelines.group.GroupContract.REASONS);
    for (String reason : reasons) {
      assertThat(reason, docs.toString().contains(reason), equalTo(true));
    }
  }

  @Test
  void theValidRecordKeepsTheContract() {
    assertThat(RolloutContract.defaults().firstViolation(valid()).isPresent(), equalTo(false));
    assertThat(WITH_TOKENIZER.firstViolation(valid()).isPresent(), equalTo(false));
  }

  @Test
  void withoutATokenizerTokenIdsAreNotDecoded() {
    Rollout rollout = valid();
    rollout.setTokenIds(arithmeticIds("12+30=41\nA: 41\n"));
    assertThat(RolloutContract.defaults().firstViolation(rollout).isPresent(), equalTo(false));
    assertThat(
        WITH_TOKENIZER.firstViolation(rollout).get().reason(), equalTo("tokens-text-mismatch"));
  }

  @Test
  void theLogProbFloorFollowsTheVocabularyAndTheMargin() {
    RolloutContract contract = RolloutContract.defaults();
    assertThat(contract.logProbFloor(22), closeTo(-(Math.log(22) + 40), 1e-12));
    assertThat(
        RolloutContract.builder().optLogProbMargin(10).build().logProbFloor(1 << 18),
        closeTo(-(18 * Math.log(2) + 10), 1e-12));
    // Without a tokenizer the floor is that of the largest vocabulary assumed: -52.48.
    Rollout rollout = valid();
    rollout.getLogProbs().set(0, -52f);
    assertThat(contract.firstViolation(rollout).isPresent(), equalTo(false));
    assertThat(
        WITH_TOKENIZER.firstViolation(rollout).get().reason(), equalTo("implausible-log-probs"));
  }

  @Test
  void textIsComparedInNormalFormC() {
    // A tokenizer that knows the precomposed \u00e9; the text spells it e + combining acute.
    TokenizerSource withAccent =
        () -> Optional.of(new CharTokenizer(CharTokenizer.ARITHMETIC_ALPHABET + "\u00e9"));
    RolloutContract contract = RolloutContract.builder().optTokenizer(withAccent).build();
    String composed = "12+30=42\nA: 42\n\u00e9";
    String decomposed = "12+30=42\nA: 42\ne\u0301";
    Rollout rollout = valid();
    rollout.setText(decomposed);
    rollout.setReward(ArithmeticTask.defaults().verifyAnswer("42", composed).reward());
    List<Integer> ids = new ArrayList<>();
    for (int id :
        new CharTokenizer(CharTokenizer.ARITHMETIC_ALPHABET + "\u00e9").encode(composed)) {
      ids.add(id);
    }
    rollout.setTokenIds(ids);
    rollout.setLogProbs(new ArrayList<>(Collections.nCopies(ids.size(), -0.5f)));
    rollout.setEntropies(null);
    assertThat(contract.firstViolation(rollout).isPresent(), equalTo(false));
    Rollout normalised = RolloutContract.normalised(rollout);
    assertThat(normalised.getText(), equalTo(composed));
    assertThat(RolloutContract.normalised(normalised) == normalised, equalTo(true));
  }

  @Test
  void acceptedRecordsLeaveInNormalFormC(TestPipeline pipeline) {
    Rollout rollout = valid();
    rollout.setPromptText("Q: 12+30=? caf\u0065\u0301\n");
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(TestRollouts.raw(rollout, 0)).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.of(ParseRollouts.DEFAULT_MAX_RECORD_BYTES, WITH_TOKENIZER));
    PAssert.that(result.output())
        .satisfies(
            accepted -> {
              Rollout out = accepted.iterator().next();
              assertThat(out.getPromptText(), equalTo("Q: 12+30=? caf\u00e9\n"));
              return null;
            });
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void groupSizeBoundsAreConfigurable() {
    Rollout big = valid();
    setGroup(big, 0, 2048);
    assertThat(
        RolloutContract.defaults().firstViolation(big).get().reason(),
        equalTo("invalid-group-size"));
    RolloutContract wide = RolloutContract.builder().optGroupSizeRange(2, 4096).build();
    assertThat(wide.firstViolation(big).isPresent(), equalTo(false));
  }

  @Test
  void eachBrokenInvariantBecomesADeadLetterWithItsReasonAndField(TestPipeline pipeline) {
    List<RawRecord> records = new ArrayList<>();
    HashMap<Long, String> reasons = new HashMap<>();
    HashMap<Long, String> fields = new HashMap<>();
    HashSet<String> acceptedValues = new HashSet<>();
    List<Case> cases = cases();
    for (int i = 0; i < cases.size(); i++) {
      Rollout rollout = valid();
      cases.get(i).mutation().accept(rollout);
      RawRecord record = TestRollouts.raw(rollout, i);
      records.add(record);
      if (cases.get(i).reason() == null) {
        acceptedValues.add(Base64.getEncoder().encodeToString(record.value()));
      } else {
        reasons.put((long) i, cases.get(i).reason());
        fields.put((long) i, cases.get(i).field());
      }
    }
    assertOutcome(pipeline, WITH_TOKENIZER, records, reasons, fields, acceptedValues);
  }

  @Test
  void randomMutationsAreAcceptedUnchangedOrDeadLetteredNeverThrown(TestPipeline pipeline) {
    Random random = new Random(20261201L);
    List<Mutation> mutations = RolloutMutations.fieldMutations(random);
    RolloutContract contract = RolloutContract.defaults();
    List<RawRecord> records = new ArrayList<>();
    HashMap<Long, String> reasons = new HashMap<>();
    HashSet<String> acceptedValues = new HashSet<>();
    int mustReject = 0;
    for (int i = 0; i < 300; i++) {
      Rollout rollout = valid();
      if (random.nextBoolean()) {
        rollout = TestRollouts.rollout("g1", 2, 4, 0.0);
      }
      // A unique id keeps the accepted records distinct, so they can be matched to the input.
      rollout.setRolloutId("m" + i);
      int count = 1 + random.nextInt(3);
      boolean alwaysInvalid = false;
      for (int k = 0; k < count; k++) {
        Mutation mutation = mutations.get(random.nextInt(mutations.size()));
        mutation.apply().accept(rollout);
        alwaysInvalid = count == 1 && mutation.alwaysInvalid();
      }
      RawRecord record = TestRollouts.raw(rollout, i);
      records.add(record);
      // The expected outcome is the contract's own verdict on the record as the stage decodes it;
      // what the pipeline adds is that
      // nothing throws, nothing is lost and accepted records are unchanged.
      String reason =
          contract
              .firstViolation(TestRollouts.CODEC.decode(record.value()))
              .map(RolloutContract.Violation::reason)
              .orElse(null);
      if (alwaysInvalid) {
        mustReject++;
        assertThat("record " + i + " must be rejected", reason == null, equalTo(false));
      }
      if (reason == null) {
        acceptedValues.add(Base64.getEncoder().encodeToString(record.value()));
      } else {
        reasons.put((long) i, reason);
      }
    }
    assertThat(
        "the seed must draw single always-invalid mutations", mustReject > 10, equalTo(true));
    assertThat("the seed must keep some records valid", acceptedValues.isEmpty(), equalTo(false));
    assertOutcome(pipeline, contract, records, reasons, null, acceptedValues);
  }

  /**
   * Runs ParseRollouts on {@code records}: offsets in {@code reasons} become dead letters with that
   * reason (and field, when given) and their original bytes; the rest come out unchanged.
   */
  private static void assertOutcome(
      TestPipeline pipeline,
      RolloutContract contract,
      List<RawRecord> records,
      HashMap<Long, String> reasons,
      HashMap<Long, String> fields,
      HashSet<String> acceptedValues) {
    HashMap<Long, String> values = new HashMap<>();
    for (RawRecord record : records) {
      values.put(record.offset(), Base64.getEncoder().encodeToString(record.value()));
    }
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.of(ParseRollouts.DEFAULT_MAX_RECORD_BYTES, contract));
    PAssert.that(result.output())
        .satisfies(
            accepted -> {
              int count = 0;
              for (Rollout rollout : accepted) {
                count++;
                String value =
                    Base64.getEncoder().encodeToString(TestRollouts.CODEC.encode(rollout));
                assertThat(value, in(acceptedValues));
              }
              assertThat(count, equalTo(acceptedValues.size()));
              return null;
            });
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              Map<Long, String> seen = new HashMap<>();
              for (DeadLetter letter : letters) {
                long offset = letter.getSourceOffset();
                String reason = letter.getReason().toString();
                seen.put(offset, reason);
                assertThat(letter.getStage().toString(), equalTo(ParseRollouts.STAGE));
                assertThat(reason, in(RolloutContract.REASONS));
                assertThat(
                    Base64.getEncoder().encodeToString(DeadLetters.valueBytes(letter)),
                    equalTo(values.get(offset)));
                if (fields != null) {
                  assertThat(letter.getErrorMessage().toString(), startsWith(fields.get(offset)));
                }
              }
              assertThat(seen, equalTo(reasons));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
