package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerFixtures.TOKENIZER;
import static dev.rredcot.model.trainer.TrainerFixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.schemas.CreditedRollout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which credited records the trainer's policy can train on, and the label and words of the rest.
 */
class CreditedRecordCheckTest {

  private static Policy policy;
  private static CreditedRecordCheck check;

  @BeforeAll
  static void createPolicy() {
    // The fixture's records: an 11-token trace after a 7-character prompt, in a context of 96.
    policy = Policy.create(TrainerFixtures.tinyConfig(TOKENIZER.vocabSize()), TOKENIZER, 5);
    check = new CreditedRecordCheck(policy, 1_000, -1_000);
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  private static void assertRejected(CreditedRollout record, String label, String message) {
    assertEquals(new Rejection(label, message), check.check(record).orElseThrow());
  }

  @Test
  void aWellFormedRecordPasses() {
    assertTrue(check.check(rollout("p", 0, 0, 2)).isEmpty());
    assertTrue(check.check(rollout("p", 0, 1, 2)).isEmpty(), "negative advantages are fine");
  }

  @Test
  void anEmptyTraceIsMalformed() {
    CreditedRollout record = rollout("p", 0, 0, 2);
    record.setTokenIds(List.of());
    assertRejected(record, "malformed-credited-rollout", "empty trace");
  }

  @Test
  void aTokenOutsideThePolicysVocabularyIsMalformed() {
    CreditedRollout record = rollout("p", 0, 0, 2);
    List<Integer> tokens = new ArrayList<>(record.getTokenIds());
    tokens.set(3, 999);
    record.setTokenIds(tokens);
    assertRejected(
        record,
        "malformed-credited-rollout",
        "token id 999 outside the vocabulary [0, " + TOKENIZER.vocabSize() + ")");
  }

  @Test
  void aPromptThePolicyCannotTokenizeIsMalformed() {
    CreditedRollout record = rollout("p", 0, 0, 2);
    record.setPromptText("Q: \u2603\n");
    Rejection rejection = check.check(record).orElseThrow();
    assertEquals("malformed-credited-rollout", rejection.label());
    assertTrue(
        rejection.message().startsWith("prompt text cannot be tokenized: "), rejection.message());
  }

  @Test
  void aRecordBeyondThePolicysContextIsMalformed() {
    // bos (1) + prompt (3 + 120 + 2) + trace (11) = 137 tokens.
    CreditedRollout record = rollout("p", 0, 0, 2);
    record.setPromptText("Q: " + "1+".repeat(60) + "1\n");
    assertRejected(
        record,
        "malformed-credited-rollout",
        "bos + prompt + trace is 137 tokens, more than maxContext 96");
  }

  @Test
  void perTokenListsOfDifferentLengthsAreMalformed() {
    CreditedRollout record = rollout("p", 0, 0, 2);
    record.setTokenAdvantages(List.of(1f));
    assertRejected(
        record,
        "malformed-credited-rollout",
        "tokenIds (11), logProbs (11) and tokenAdvantages (1) must have the same length");
  }

  @Test
  void groupCountsOutOfRangeAreMalformed() {
    CreditedRollout noGroup = rollout("p", 0, 0, 2);
    noGroup.setGroupCount(0);
    assertRejected(noGroup, "malformed-credited-rollout", "groupCount must be positive, got 0");
    CreditedRollout tooManyCredited = rollout("p", 0, 0, 2);
    tooManyCredited.setCreditedCount(3);
    assertRejected(
        tooManyCredited,
        "malformed-credited-rollout",
        "creditedCount must be in [0, groupCount 2], got 3");
    CreditedRollout negativeIndex = rollout("p", 0, 0, 2);
    negativeIndex.setSampleIndex(-1);
    assertRejected(negativeIndex, "malformed-credited-rollout", "sampleIndex must be >= 0, got -1");
  }

  @Test
  void nonFiniteAdvantagesAndLogProbsArePoison() {
    assertRejected(
        withAdvantageAt(rollout("p", 0, 0, 2), 5, Float.NaN),
        "non-finite-advantage",
        "advantage NaN at token 5");
    assertRejected(
        withLogProbAt(rollout("p", 0, 0, 2), 5, Float.NEGATIVE_INFINITY),
        "non-finite-log-prob",
        "log-prob -Infinity at token 5");
  }

  @Test
  void advantagesAndLogProbsBeyondTheBoundsArePoison() {
    assertRejected(
        withAdvantageAt(rollout("p", 0, 0, 2), 5, -1e4f),
        "absurd-advantage",
        "advantage -10000.0 at token 5 exceeds the bound 1000.0");
    assertRejected(
        withLogProbAt(rollout("p", 0, 0, 2), 5, -1e4f),
        "absurd-log-prob",
        "log-prob -10000.0 at token 5 is outside [-1000.0, 0]");
    assertRejected(
        withLogProbAt(rollout("p", 0, 0, 2), 5, 0.002f),
        "absurd-log-prob",
        "log-prob 0.002 at token 5 is outside [-1000.0, 0]");
  }

  @Test
  void aLogProbAHairAboveZeroIsSamplerRoundingNotPoison() {
    assertTrue(check.check(withLogProbAt(rollout("p", 0, 0, 2), 5, 5e-4f)).isEmpty());
  }

  @Test
  void theFirstProblemFoundIsTheReason() {
    // A malformation comes before poison; poison is reported at its first token.
    CreditedRollout malformedAndPoisoned = withAdvantageAt(rollout("p", 0, 0, 2), 5, Float.NaN);
    malformedAndPoisoned.setGroupCount(0);
    assertEquals("malformed-credited-rollout", check.check(malformedAndPoisoned).get().label());
    CreditedRollout twice =
        withAdvantageAt(withLogProbAt(rollout("p", 0, 0, 2), 2, Float.NaN), 5, Float.NaN);
    assertRejected(twice, "non-finite-log-prob", "log-prob NaN at token 2");
  }

  private static CreditedRollout withAdvantageAt(CreditedRollout record, int token, float value) {
    List<Float> advantages = new ArrayList<>(record.getTokenAdvantages());
    advantages.set(token, value);
    record.setTokenAdvantages(advantages);
    return record;
  }

  private static CreditedRollout withLogProbAt(CreditedRollout record, int token, float value) {
    List<Float> logProbs = new ArrayList<>(record.getLogProbs());
    logProbs.set(token, value);
    record.setLogProbs(logProbs);
    return record;
  }
}
