package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    GenerationOptions.Builder options =
        GenerationOptions.builder().optTemperature(0).optMaxTokens(24);
    List<Sample> cached = policy.generate(requests(), options.optUseKvCache(true).build());
    List<Sample> uncached = policy.generate(requests(), options.optUseKvCache(false).build());
    for (int i = 0; i < cached.size(); i++) {
      assertArrayEquals(uncached.get(i).tokenIds(), cached.get(i).tokenIds(), "sequence " + i);
      assertArrayEquals(uncached.get(i).logProbs(), cached.get(i).logProbs(), 1e-4f);
    }
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

  @Test
  void bankValueEqualsTheDirectLogSumExpOverContinuations() {
    int[] trace = tokenizer.encode(TRACE_A);
    List<String> bank =
        List.of("62-18=44\n44+9=53\nA: 53\n", "62-18=44\n44+9=53\nA: 53\n".substring(9));
    for (LengthNormalization norm : LengthNormalization.values()) {
      double[] values =
          policy
              .bankValues(
                  List.of(
                      new BankRequest(PROMPT_A, trace, new int[] {9}, bank, "A: ", "53\n", norm)))
              .get(0);
      // Direct: score prefix + u + cue + answer in full and combine in probability space.
      double sum = 0;
      for (String continuation : bank) {
        String u = continuation.substring(0, continuation.length() - "A: 53\n".length());
        int uLength = tokenizer.encode(u).length;
        int[] full = Policy.concat(subarray(trace, 9), tokenizer.encode(continuation));
        float[] lp = policy.score(List.of(new ScoreRequest(PROMPT_A, full))).get(0).logProbs();
        double logU = 0;
        for (int j = 9; j < 9 + uLength; j++) {
          logU += lp[j];
        }
        double logY = 0;
        for (int j = full.length - 3; j < full.length; j++) {
          logY += lp[j];
        }
        if (norm == LengthNormalization.PER_TOKEN) {
          logU /= uLength;
          logY /= 3;
        }
        sum += Math.exp(logU) * Math.exp(logY);
      }
      assertEquals(sum / bank.size(), values[0], 1e-6 + 1e-4 * values[0], norm.toString());
    }
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
