package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation, scoring and value computations of an (untrained) policy agree with each other. */
class PolicyInferenceTest {

  private static final String PROMPT_A = "Q: 37+25-18+9\n";
  private static final String PROMPT_B = "Q: 4+5\n";
  private static final String TRACE_A = "37+25=62\n62-18=44\n44+9=53\nA: 53\n";

  private static Tokenizer tokenizer;
  private static Policy policy;

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
    policy = Policy.create(config, tokenizer, 7);
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  private static List<GenerationRequest> requests() {
    return List.of(
        GenerationRequest.of(PROMPT_A),
        new GenerationRequest(PROMPT_B, tokenizer.encode("4+5=9\n")),
        GenerationRequest.of("Q: 12-3+7-1\n"));
  }

  @Test
  void greedyGenerationWithKvCacheEqualsRecomputingEveryStep() {
    assertCachedGenerationEqualsRecomputed(policy, 24);
  }

  /** Greedy tokens, log-probs and entropies of {@link #requests} with and without the KV cache. */
  private static void assertCachedGenerationEqualsRecomputed(Policy model, int maxTokens) {
    GenerationOptions.Builder options =
        GenerationOptions.builder().optTemperature(0).optMaxTokens(maxTokens);
    List<Sample> cached = model.generate(requests(), options.optUseKvCache(true).build());
    List<Sample> uncached = model.generate(requests(), options.optUseKvCache(false).build());
    for (int i = 0; i < cached.size(); i++) {
      assertArrayEquals(uncached.get(i).tokenIds(), cached.get(i).tokenIds(), "sequence " + i);
      assertArrayEquals(uncached.get(i).logProbs(), cached.get(i).logProbs(), 1e-4f);
      assertArrayEquals(uncached.get(i).entropies(), cached.get(i).entropies(), 1e-4f);
    }
  }

  @Test
  void greedyGenerationWithFourHeadsAndKvCacheEqualsRecomputingEveryStep() {
    // Decode steps keep the heads side by side and separate them with masks; two heads would not
    // catch a mask that mixes up heads in the middle.
    ModelConfig config =
        ModelConfig.builder()
            .setVocabSize(tokenizer.vocabSize())
            .optDModel(32)
            .optHeads(4)
            .optLayers(2)
            .optDFF(64)
            .optMaxContext(96)
            .build();
    try (Policy fourHeads = Policy.create(config, tokenizer, 13)) {
      assertCachedGenerationEqualsRecomputed(fourHeads, 32);
    }
  }

  @Test
  void greedyGenerationOfOneUnpaddedRowWithKvCacheEqualsRecomputingEveryStep() {
    // One row has no padding, so its decode steps attend without any bias: the unmasked path.
    GenerationOptions.Builder options =
        GenerationOptions.builder().optTemperature(0).optMaxTokens(48);
    List<GenerationRequest> one = List.of(GenerationRequest.of(PROMPT_A));
    Sample cached = policy.generate(one, options.optUseKvCache(true).build()).get(0);
    Sample uncached = policy.generate(one, options.optUseKvCache(false).build()).get(0);
    assertArrayEquals(uncached.tokenIds(), cached.tokenIds());
    assertArrayEquals(uncached.logProbs(), cached.logProbs(), 1e-4f);
    assertArrayEquals(uncached.entropies(), cached.entropies(), 1e-4f);
  }

  @Test
  void sampledGenerationWithKvCacheEqualsRecomputingForTheSameSeed() {
    GenerationOptions.Builder options =
        GenerationOptions.builder().optTemperature(1).optTopP(0.9).optSeed(11).optMaxTokens(24);
    List<Sample> cached = policy.generate(requests(), options.optUseKvCache(true).build());
    List<Sample> uncached = policy.generate(requests(), options.optUseKvCache(false).build());
    for (int i = 0; i < cached.size(); i++) {
      assertArrayEquals(uncached.get(i).tokenIds(), cached.get(i).tokenIds(), "sequence " + i);
    }
  }

  @Test
  void identicalRequestsShareOnePrefillAndSampleAsIfEachRanAlone() {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int m = 0; m < 3; m++) {
      requests.add(GenerationRequest.of(PROMPT_A));
      requests.add(new GenerationRequest(PROMPT_B, tokenizer.encode("4+5=9\n")));
    }
    GenerationOptions.Builder options =
        GenerationOptions.builder().optTemperature(1).optSeed(5).optMaxTokens(20);
    long before = policy.forwardTokens();
    List<Sample> shared = policy.generate(requests, options.optUseKvCache(true).build());
    long sharedTokens = policy.forwardTokens() - before;
    List<Sample> alone = policy.generate(requests, options.optUseKvCache(false).build());
    long decoded = 0;
    for (int i = 0; i < requests.size(); i++) {
      assertArrayEquals(alone.get(i).tokenIds(), shared.get(i).tokenIds(), "sequence " + i);
      assertArrayEquals(alone.get(i).logProbs(), shared.get(i).logProbs(), 1e-4f);
      decoded += shared.get(i).tokenIds().length - 1;
    }
    // Two distinct contexts are prefilled once each; the token ending a sequence is not fed.
    long prefill = (1 + PROMPT_A.length()) + (1 + PROMPT_B.length() + 6);
    assertEquals(prefill + decoded, sharedTokens);
  }

  @Test
  void scoringReproducesTheLogProbsAndEntropiesSeenDuringGeneration() {
    List<GenerationRequest> requests = requests();
    List<Sample> samples =
        policy.generate(requests, GenerationOptions.builder().optSeed(3).optMaxTokens(30).build());
    List<ScoreRequest> scoreRequests = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      int[] trace = Policy.concat(requests.get(i).forcedPrefixTokens(), samples.get(i).tokenIds());
      scoreRequests.add(new ScoreRequest(requests.get(i).prompt(), trace));
    }
    List<TraceScore> scores = policy.score(scoreRequests);
    for (int i = 0; i < samples.size(); i++) {
      int forced = requests.get(i).forcedPrefixTokens().length;
      float[] lp = scores.get(i).logProbs();
      float[] h = scores.get(i).entropies();
      Sample sample = samples.get(i);
      for (int j = 0; j < sample.tokenIds().length; j++) {
        assertEquals(sample.logProbs()[j], lp[forced + j], 1e-4, "log-prob " + i + "/" + j);
        assertEquals(sample.entropies()[j], h[forced + j], 1e-4, "entropy " + i + "/" + j);
      }
    }
  }

  @Test
  void sharedInstanceGivesTheSameScoresWhenCalledFromManyThreads() throws Exception {
    List<ScoreRequest> request = List.of(new ScoreRequest(PROMPT_A, tokenizer.encode(TRACE_A)));
    float[] expected = policy.score(request).get(0).logProbs();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<float[]>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> policy.score(request).get(0).logProbs()));
      }
      for (java.util.concurrent.Future<float[]> f : futures) {
        assertArrayEquals(expected, f.get(30, java.util.concurrent.TimeUnit.SECONDS), 0f);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void answerValuesWithKvCacheReuseEqualRerunningEveryPrefix() {
    int[] trace = tokenizer.encode(TRACE_A);
    int[] boundaries = {0, 9, 18, 26};
    List<ValueRequest> batch =
        List.of(
            new ValueRequest(PROMPT_A, trace, boundaries, "A: ", "53\n"),
            new ValueRequest(
                PROMPT_B, tokenizer.encode("4+5=9\n"), new int[] {0, 6}, "A: ", "9\n"));
    List<double[]> reused = policy.answerValues(batch, true);
    List<double[]> rerun = policy.answerValues(batch, false);
    for (int i = 0; i < batch.size(); i++) {
      assertEquals(batch.get(i).boundaries().length, reused.get(i).length);
      assertArrayEquals(rerun.get(i), reused.get(i), 1e-4);
      for (double v : reused.get(i)) {
        assertTrue(v > 0 && v < 1, "a probability: " + v);
      }
    }
  }

  @Test
  void answerValueIsTheProductOfTheAnswerTokenProbabilitiesAfterTheCue() {
    int[] trace = tokenizer.encode(TRACE_A);
    double value =
        policy.answerValues(
                List.of(new ValueRequest(PROMPT_A, trace, new int[] {18}, "A: ", "53\n")), true)
            .get(0)[0];
    int[] scored = Policy.concat(subarray(trace, 18), tokenizer.encode("A: 53\n"));
    float[] lp = policy.score(List.of(new ScoreRequest(PROMPT_A, scored))).get(0).logProbs();
    double sum = 0;
    for (int j = scored.length - 3; j < scored.length; j++) {
      sum += lp[j];
    }
    assertEquals(Math.exp(sum), value, 1e-5);
  }

  /** Steps of TRACE_A and of a solution that starts differently and then joins it. */
  private static final List<String> STEPS_A = List.of("37+25=62\n", "62-18=44\n", "44+9=53\n");

  private static final List<String> STEPS_SWAPPED =
      List.of("25+37=62\n", "62-18=44\n", "44+9=53\n");

  private static BankRequest bank(
      int[] trace, int[] boundaries, List<List<String>> steps, BankAggregation aggregation) {
    return new BankRequest(PROMPT_A, trace, boundaries, steps, "A: ", "53\n", aggregation);
  }

  /**
   * Summed log-probability of {@code tokens[from:]} after the prompt, from {@link Policy#score}.
   */
  private static double ownLogProb(int[] tokens, int from) {
    float[] lp = policy.score(List.of(new ScoreRequest(PROMPT_A, tokens))).get(0).logProbs();
    double sum = 0;
    for (int j = from; j < tokens.length; j++) {
      sum += lp[j];
    }
    return sum;
  }

  @Test
  void remaindersAreAlignedAtLineEndsAndEveryCutInsideALine() {
    BankRequest request =
        bank(new int[0], new int[0], List.of(STEPS_A, STEPS_SWAPPED), BankAggregation.SUM);
    assertEquals(
        List.of("37+25=62\n62-18=44\n44+9=53\nA: 53\n", "25+37=62\n62-18=44\n44+9=53\nA: 53\n"),
        List.copyOf(request.remaindersAfter("")));
    // Both solutions share their rest after the first line: one distinct remainder.
    assertEquals(
        List.of("62-18=44\n44+9=53\nA: 53\n"), List.copyOf(request.remaindersAfter("1+1=2\n")));
    assertEquals(
        List.of("A: 53\n"),
        List.copyOf(request.remaindersAfter("1\n2\n3\n4\n")),
        "a prefix with more lines than the solution is answered now");
    assertEquals(
        List.of(
            "37+25=62\n62-18=44\n44+9=53\nA: 53\n",
            "62-18=44\n44+9=53\nA: 53\n",
            "44+9=53\nA: 53\n",
            "A: 53\n",
            "25+37=62\n62-18=44\n44+9=53\nA: 53\n"),
        List.copyOf(request.remaindersAfter("37+2")));
  }

  @Test
  void bankValueOfAReferenceTraceIsItsOwnRestProbability() {
    int[] trace = tokenizer.encode(TRACE_A);
    int[] boundaries = {0, 9, 18, 26};
    double[] values =
        policy
            .bankValues(
                List.of(bank(trace, boundaries, List.of(STEPS_A), BankAggregation.SUM)), true)
            .get(0);
    for (int i = 0; i < boundaries.length; i++) {
      double expected = Math.exp(ownLogProb(trace, boundaries[i]));
      assertEquals(expected, values[i], 1e-4 * expected, "boundary " + boundaries[i]);
    }
  }

  @Test
  void bankValuesWithKvCacheReuseEqualRerunningEveryPrefix() {
    int[] correct = tokenizer.encode(TRACE_A);
    int[] wrong = tokenizer.encode("37+25=62\n62-18=45\n45+9=54\nA: 54\n");
    for (BankAggregation aggregation : BankAggregation.values()) {
      List<BankRequest> batch =
          List.of(
              bank(
                  correct,
                  new int[] {0, 5, 9, 18, 26},
                  List.of(STEPS_A, STEPS_SWAPPED),
                  aggregation),
              bank(wrong, new int[] {0, 9, 14, 18}, List.of(STEPS_A), aggregation));
      List<double[]> reused = policy.bankValues(batch, true);
      List<double[]> rerun = policy.bankValues(batch, false);
      for (int q = 0; q < batch.size(); q++) {
        for (int i = 0; i < rerun.get(q).length; i++) {
          assertEquals(
              rerun.get(q)[i], reused.get(q)[i], 1e-4 * rerun.get(q)[i], aggregation + " " + q);
          assertTrue(reused.get(q)[i] > 0 && reused.get(q)[i] <= 1, "" + reused.get(q)[i]);
        }
      }
    }
  }

  @Test
  void bankValueCombinesTheDistinctRemaindersAsItsAggregationSays() {
    int[] trace = tokenizer.encode(TRACE_A);
    // Inside the first line every cut of both solutions counts, the shared rests once each.
    int boundary = 5;
    BankRequest sum =
        bank(
            trace,
            new int[] {boundary},
            List.of(STEPS_A, STEPS_SWAPPED, STEPS_A),
            BankAggregation.SUM);
    List<String> remainders = List.copyOf(sum.remaindersAfter(TRACE_A.substring(0, boundary)));
    assertEquals(5, remainders.size());
    double total = 0;
    double perToken = 0;
    for (String u : remainders) {
      int[] full = Policy.concat(subarray(trace, boundary), tokenizer.encode(u));
      double lp = ownLogProb(full, boundary);
      total += Math.exp(lp);
      perToken += Math.exp(lp / u.length());
    }
    assertEquals(total, policy.bankValues(List.of(sum), true).get(0)[0], 1e-4 * total);
    BankRequest mean = bank(trace, new int[] {boundary}, sum.bankSteps(), BankAggregation.MEAN);
    assertEquals(total / 5, policy.bankValues(List.of(mean), true).get(0)[0], 1e-4 * total);
    BankRequest norm =
        bank(trace, new int[] {boundary}, sum.bankSteps(), BankAggregation.PER_TOKEN);
    assertEquals(perToken / 5, policy.bankValues(List.of(norm), true).get(0)[0], 1e-4 * perToken);
    // After the first line both solutions have the same rest: the value of a one-text bank.
    double[] shared =
        policy
            .bankValues(
                List.of(
                    bank(
                        trace, new int[] {9}, List.of(STEPS_A, STEPS_SWAPPED), BankAggregation.SUM),
                    bank(trace, new int[] {9}, List.of(STEPS_A), BankAggregation.SUM)),
                true)
            .stream()
            .mapToDouble(v -> v[0])
            .toArray();
    assertEquals(shared[1], shared[0], 1e-6 * shared[1]);
  }

  @Test
  void bankRestsAfterTheSamePromptAndLinesAreReadFromTheBankTextsPass() {
    String wrongText = "37+25=62\n62-18=45\n45+9=54\nA: 54\n";
    int[] correct = tokenizer.encode(TRACE_A);
    int[] wrong = tokenizer.encode(wrongText);
    List<BankRequest> batch =
        List.of(
            bank(correct, new int[] {0, 9, 18, 26}, List.of(STEPS_A), BankAggregation.SUM),
            bank(wrong, new int[] {0, 9, 18, 26}, List.of(STEPS_A), BankAggregation.SUM),
            bank(correct, new int[] {0, 9}, List.of(STEPS_A), BankAggregation.SUM));
    long before = policy.forwardTokens();
    List<double[]> reused = policy.bankValues(batch, true);
    long used = policy.forwardTokens() - before;
    // One pass over each distinct text (the correct trace is the bank text); the wrong trace
    // shares the bank text's first line, so only its remainders after its second and third
    // lines are suffix rows.
    int context = 1 + PROMPT_A.length();
    long rows = "44+9=53\nA: 53\n".length() + "A: 53\n".length();
    assertEquals(2L * context + TRACE_A.length() + wrongText.length() + rows, used);
    List<double[]> rerun = policy.bankValues(batch, false);
    for (int q = 0; q < batch.size(); q++) {
      for (int i = 0; i < rerun.get(q).length; i++) {
        assertEquals(rerun.get(q)[i], reused.get(q)[i], 1e-4 * rerun.get(q)[i], "request " + q);
      }
    }
  }

  @Test
  void aBankTextIsScoredWhenItsRestsWouldCostMoreAsSuffixRows() {
    int context = 1 + PROMPT_A.length();
    // Shares the first line: the rests after 0 and 1 lines (32 + 23 tokens) outweigh the text's
    // pass (context + 32), so only the rests after lines 2 and 3 are suffix rows.
    int[] sharesALine = tokenizer.encode("37+25=62\n62-18=45\n45+9=54\nA: 54\n");
    // Leaves it in the first line: the whole text (32 tokens) is cheaper as a suffix row.
    int[] leavesAtOnce = tokenizer.encode("37+25=63\n63-18=45\n45+9=54\nA: 54\n");
    int[] boundaries = {0, 9, 18, 26};
    long rows = "44+9=53\nA: 53\n".length() + "A: 53\n".length();
    long before = policy.forwardTokens();
    policy.bankValues(
        List.of(bank(sharesALine, boundaries, List.of(STEPS_A), BankAggregation.SUM)), true);
    assertEquals(2L * (context + TRACE_A.length()) + rows, policy.forwardTokens() - before);
    before = policy.forwardTokens();
    policy.bankValues(
        List.of(bank(leavesAtOnce, boundaries, List.of(STEPS_A), BankAggregation.SUM)), true);
    long allRows = TRACE_A.length() + "62-18=44\n44+9=53\nA: 53\n".length() + rows;
    assertEquals(context + TRACE_A.length() + allRows, policy.forwardTokens() - before);
  }

  @Test
  void forwardTokensCountsEveryRealPositionOfAScoringPass() {
    int[] trace = tokenizer.encode(TRACE_A);
    long before = policy.forwardTokens();
    policy.score(List.of(new ScoreRequest(PROMPT_A, trace), new ScoreRequest(PROMPT_B, trace)));
    long expected = 2L * (1 + trace.length) + PROMPT_A.length() + PROMPT_B.length();
    assertEquals(expected, policy.forwardTokens() - before);
  }

  @Test
  void valueReuseRunsFewerTokensThanRerunningPrefixes() {
    int[] trace = tokenizer.encode(TRACE_A);
    List<ValueRequest> batch =
        List.of(new ValueRequest(PROMPT_A, trace, new int[] {0, 9, 18, 26}, "A: ", "53\n"));
    long start = policy.forwardTokens();
    policy.answerValues(batch, true);
    long reuse = policy.forwardTokens() - start;
    policy.answerValues(batch, false);
    long rerun = policy.forwardTokens() - start - reuse;
    int full = 1 + PROMPT_A.length() + trace.length;
    assertEquals(full + 4L * 6, reuse);
    assertTrue(rerun > reuse, rerun + " vs " + reuse);
  }

  @Test
  void gradientTimesInputGivesOneFiniteNumberPerTraceToken() {
    int[] trace = tokenizer.encode(TRACE_A);
    List<double[]> attributions =
        policy.gradientTimesInput(
            List.of(
                new ValueRequest(PROMPT_A, trace, new int[] {0}, "A: ", "53\n"),
                new ValueRequest(
                    PROMPT_B, tokenizer.encode("4+5=9\n"), new int[] {0}, "A: ", "9\n")));
    assertEquals(trace.length, attributions.get(0).length);
    assertEquals(6, attributions.get(1).length);
    double total = 0;
    for (double a : attributions.get(0)) {
      assertTrue(Double.isFinite(a));
      total += Math.abs(a);
    }
    assertTrue(total > 0, "some token matters");
  }

  private static int[] subarray(int[] array, int length) {
    int[] out = new int[length];
    System.arraycopy(array, 0, out, 0, length);
    return out;
  }
}
