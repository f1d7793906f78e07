package dev.rredcot.model.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generic values of {@link BackendValues}, built on {@link PolicyBackend#logProbs} alone, equal
 * the built-in policy's own (KV-cached) values, and missing capabilities fail with their name.
 */
class BackendValuesTest {

  private static final String PROMPT = "Q: 37+25-18+9\n";
  private static final String TRACE = "37+25=62\n62-18=44\n44+9=53\nA: 53\n";
  private static final String WRONG = "37+25=62\n62-18=45\n45+9=54\nA: 54\n";

  private static Tokenizer tokenizer;
  private static Policy policy;
  private static PolicyBackend scoringOnly;

  @BeforeAll
  static void createPolicy() {
    tokenizer = CharTokenizer.arithmetic();
    ModelConfig config =
        ModelConfig.builder()
            .setVocabSize(tokenizer.vocabSize())
            .optDModel(32)
            .optHeads(2)
            .optLayers(2)
            .optDFF(64)
            .optMaxContext(96)
            .build();
    policy = Policy.create(config, tokenizer, 3);
    scoringOnly = new ScoringOnly(policy);
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  @Test
  void answerValuesFromLogProbsEqualThePolicysCachedValues() {
    List<ValueRequest> batch =
        List.of(
            new ValueRequest(
                PROMPT, tokenizer.encode(TRACE), new int[] {0, 9, 18, 26}, "A: ", "53\n"),
            new ValueRequest(
                "Q: 4+5\n", tokenizer.encode("4+5=9\n"), new int[] {0, 3, 6}, "A: ", "9\n"));
    List<double[]> generic = scoringOnly.answerValues(batch, true);
    List<double[]> cached = policy.answerValues(batch, true);
    for (int q = 0; q < batch.size(); q++) {
      assertEquals(cached.get(q).length, generic.get(q).length);
      for (int i = 0; i < generic.get(q).length; i++) {
        assertEquals(cached.get(q)[i], generic.get(q)[i], 1e-5 + 1e-4 * cached.get(q)[i]);
        assertTrue(generic.get(q)[i] > 0 && generic.get(q)[i] < 1);
      }
    }
  }

  @Test
  void bankValuesFromLogProbsEqualThePolicysCachedValuesForEveryAggregation() {
    List<List<String>> steps =
        List.of(
            List.of("37+25=62\n", "62-18=44\n", "44+9=53\n"),
            List.of("25+37=62\n", "62-18=44\n", "44+9=53\n"));
    for (BankAggregation aggregation : BankAggregation.values()) {
      List<BankRequest> batch =
          List.of(
              new BankRequest(
                  PROMPT,
                  tokenizer.encode(TRACE),
                  new int[] {0, 5, 9, 18, 26},
                  steps,
                  "A: ",
                  "53\n",
                  aggregation),
              new BankRequest(
                  PROMPT,
                  tokenizer.encode(WRONG),
                  new int[] {0, 9, 14, 18},
                  steps.subList(0, 1),
                  "A: ",
                  "53\n",
                  aggregation));
      List<double[]> generic = scoringOnly.bankValues(batch, true);
      List<double[]> cached = policy.bankValues(batch, true);
      for (int q = 0; q < batch.size(); q++) {
        for (int i = 0; i < generic.get(q).length; i++) {
          assertEquals(
              cached.get(q)[i],
              generic.get(q)[i],
              1e-5 + 1e-4 * cached.get(q)[i],
              aggregation + " request " + q + " boundary " + i);
        }
      }
    }
  }

  @Test
  void aMissingCapabilityFailsWithItsName() {
    UnsupportedCapabilityException e =
        assertThrows(
            UnsupportedCapabilityException.class,
            () ->
                scoringOnly.generate(
                    List.of(GenerationRequest.of(PROMPT)), GenerationOptions.builder().build()));
    assertEquals(BackendCapability.GENERATION, e.capability());
    assertTrue(e.getMessage().contains("generation"), e.getMessage());
    assertThrows(
        UnsupportedCapabilityException.class,
        () -> scoringOnly.score(List.of(new ScoreRequest(PROMPT, tokenizer.encode(TRACE)))));
    assertThrows(
        UnsupportedCapabilityException.class,
        () -> scoringOnly.require(BackendCapability.GRADIENTS, "--valueEstimator=gradient"));
  }

  /** A backend with only the primitive: the built-in policy's log-probs, nothing else. */
  private static final class ScoringOnly implements PolicyBackend {
    private final Policy inner;

    ScoringOnly(Policy inner) {
      this.inner = inner;
    }

    @Override
    public String description() {
      return "scoring-only test backend";
    }

    @Override
    public long version() {
      return inner.version();
    }

    @Override
    public Set<BackendCapability> capabilities() {
      return Set.of();
    }

    @Override
    public Tokenizer tokenizer() {
      return inner.tokenizer();
    }

    @Override
    public int maxContext() {
      return inner.maxContext();
    }

    @Override
    public List<float[]> logProbs(List<ScoreRequest> batch) {
      return inner.logProbs(batch);
    }

    @Override
    public void close() {}
  }
}
