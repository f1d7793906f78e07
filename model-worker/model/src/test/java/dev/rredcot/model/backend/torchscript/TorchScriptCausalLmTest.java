package dev.rredcot.model.backend.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BackendValues;
import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.UnsupportedCapabilityException;
import dev.rredcot.model.backend.ValueRequest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TorchScript backend against the golden numbers PyTorch wrote for the committed fixture
 * ({@code fixtures/tiny-causal-lm}, made by its {@code make_fixture.py}); needs no Python.
 */
class TorchScriptCausalLmTest {

  /** Per-token agreement with PyTorch (float32 on both sides). */
  private static final double TOKEN_TOLERANCE = 1e-5;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path fixture;
  private static List<Golden> golden;
  private static String answerCue;
  private static TorchScriptCausalLm lm;

  private record Golden(
      String prompt,
      String trace,
      int[] ids,
      float[] logProbs,
      float[] entropies,
      String answer,
      int[] boundaries,
      double[] answerLogProbs,
      int[] greedy) {}

  @BeforeAll
  static void open() throws IOException, URISyntaxException {
    fixture =
        Path.of(TorchScriptCausalLmTest.class.getResource("/fixtures/tiny-causal-lm").toURI());
    JsonNode root = JSON.readTree(fixture.resolve("golden.json").toFile());
    answerCue = root.path("answerCue").asText();
    golden = new ArrayList<>();
    for (JsonNode t : root.path("texts")) {
      golden.add(
          new Golden(
              t.path("prompt").asText(),
              t.path("trace").asText(),
              JSON.convertValue(t.path("ids"), int[].class),
              JSON.convertValue(t.path("logProbs"), float[].class),
              JSON.convertValue(t.path("entropies"), float[].class),
              t.path("answer").asText(),
              JSON.convertValue(t.path("boundaries"), int[].class),
              JSON.convertValue(t.path("answerLogProbs"), double[].class),
              JSON.convertValue(t.path("greedy"), int[].class)));
    }
    assertEquals(5, golden.size());
    lm = TorchScriptCausalLm.open(fixture);
  }

  @AfterAll
  static void close() {
    if (lm != null) {
      lm.close();
    }
  }

  private static int[] traceTokens(Golden g) {
    return lm.tokenizer().encode(g.trace());
  }

  @Test
  void tokenizerJsonEncodesAsTheScriptDid() {
    for (Golden g : golden) {
      int[] prompt = lm.tokenizer().encode(g.prompt());
      int[] trace = traceTokens(g);
      assertEquals(g.ids().length, 1 + prompt.length + trace.length, g.trace());
      assertEquals(g.ids()[0], lm.tokenizer().bosId());
      for (int i = 0; i < prompt.length; i++) {
        assertEquals(g.ids()[1 + i], prompt[i]);
      }
      for (int i = 0; i < trace.length; i++) {
        assertEquals(g.ids()[1 + prompt.length + i], trace[i]);
      }
      assertEquals(g.prompt() + g.trace(), lm.tokenizer().decode(g.ids()));
    }
    assertEquals(128, lm.maxContext());
    assertEquals("A: ", lm.card().answerCue());
  }

  @Test
  void scoreReproducesPyTorchOneByOneAndPadded() {
    List<ScoreRequest> all = new ArrayList<>();
    for (Golden g : golden) {
      all.add(new ScoreRequest(g.prompt(), traceTokens(g)));
    }
    // One padded batch: the texts have different lengths, so most rows are left-padded.
    List<TraceScore> batched = lm.score(all);
    for (int q = 0; q < golden.size(); q++) {
      Golden g = golden.get(q);
      TraceScore alone = lm.score(List.of(all.get(q))).get(0);
      for (TraceScore s : List.of(alone, batched.get(q))) {
        assertGoldenTail(g.logProbs(), s.logProbs(), g.trace());
        assertGoldenTail(g.entropies(), s.entropies(), g.trace());
      }
    }
  }

  /** The trace's values are the last ones of the golden per-position arrays. */
  private static void assertGoldenTail(float[] expected, float[] actual, String what) {
    int offset = expected.length - actual.length;
    assertTrue(offset > 0, what);
    for (int j = 0; j < actual.length; j++) {
      assertEquals(expected[offset + j], actual[j], TOKEN_TOLERANCE, what + " token " + j);
    }
  }

  @Test
  void logProbsAreScoresLogProbs() {
    Golden g = golden.get(2);
    ScoreRequest request = new ScoreRequest(g.prompt(), traceTokens(g));
    assertArrayEquals(
        lm.score(List.of(request)).get(0).logProbs(), lm.logProbs(List.of(request)).get(0));
  }

  @Test
  void answerValuesReproducePyTorchWithAndWithoutKvReuse() {
    List<ValueRequest> requests = new ArrayList<>();
    for (Golden g : golden) {
      requests.add(
          new ValueRequest(g.prompt(), traceTokens(g), g.boundaries(), answerCue, g.answer()));
    }
    List<double[]> reused = lm.answerValues(requests, true);
    List<double[]> rerun = lm.answerValues(requests, false);
    List<double[]> generic = BackendValues.answerValues(lm, requests);
    for (int q = 0; q < golden.size(); q++) {
      Golden g = golden.get(q);
      int answerTokens = lm.tokenizer().encode(g.answer()).length;
      for (int i = 0; i < g.boundaries().length; i++) {
        double expected = g.answerLogProbs()[i];
        String what = g.trace() + " boundary " + g.boundaries()[i];
        double tolerance = TOKEN_TOLERANCE * answerTokens;
        assertEquals(expected, Math.log(reused.get(q)[i]), tolerance, what + " (reused)");
        assertEquals(expected, Math.log(rerun.get(q)[i]), tolerance, what + " (rerun)");
        assertEquals(expected, Math.log(generic.get(q)[i]), tolerance, what + " (generic)");
      }
    }
    // The values differ between boundaries: a wrong prefix slice would not reproduce them.
    assertTrue(Math.abs(golden.get(0).answerLogProbs()[0] - golden.get(0).answerLogProbs()[1]) > 1);
  }

  @Test
  void kvReuseFeedsFewerTokensThanRerunning() {
    Golden g = golden.get(2);
    List<ValueRequest> requests =
        List.of(
            new ValueRequest(g.prompt(), traceTokens(g), g.boundaries(), answerCue, g.answer()));
    long before = lm.forwardTokens();
    lm.answerValues(requests, true);
    long reused = lm.forwardTokens() - before;
    lm.answerValues(requests, false);
    long rerun = lm.forwardTokens() - before - reused;
    assertTrue(reused < rerun, reused + " reused vs " + rerun + " rerun tokens");
  }

  @Test
  void bankValuesWithKvReuseEqualTheGenericOnesForEveryAggregation() {
    Golden g = golden.get(0);
    int[] trace = traceTokens(g);
    // Line boundaries plus one inside a line, where every remainder of every bank text is scored.
    int[] boundaries = {0, 3, 7, 14, trace.length};
    List<List<String>> bank =
        List.of(List.of("3-5=-2\n", "-2+3=1\n"), List.of("5+3=8\n", "3-8=-5\n", "-5+6=1\n"));
    for (BankAggregation aggregation : BankAggregation.values()) {
      List<BankRequest> requests =
          List.of(
              new BankRequest(g.prompt(), trace, boundaries, bank, answerCue, "1\n", aggregation));
      long before = lm.forwardTokens();
      double[] reused = lm.bankValues(requests, true).get(0);
      long reusedTokens = lm.forwardTokens() - before;
      double[] generic = BackendValues.bankValues(lm, requests).get(0);
      long genericTokens = lm.forwardTokens() - before - reusedTokens;
      assertArrayEquals(generic, lm.bankValues(requests, false).get(0));
      for (int i = 0; i < boundaries.length; i++) {
        assertTrue(generic[i] > 0, aggregation + " boundary " + boundaries[i]);
        assertEquals(
            Math.log(generic[i]),
            Math.log(reused[i]),
            1e-4,
            aggregation + " boundary " + boundaries[i]);
      }
      assertTrue(reusedTokens < genericTokens, reusedTokens + " vs " + genericTokens);
    }
  }

  @Test
  void greedyGenerationReproducesPyTorchWithAndWithoutCache() {
    List<GenerationRequest> requests = new ArrayList<>();
    for (Golden g : golden) {
      requests.add(GenerationRequest.of(g.prompt()));
    }
    for (boolean cache : new boolean[] {true, false}) {
      // A cue that never occurs: the script's greedy decoding stops only at eos or 24 tokens.
      GenerationOptions options =
          GenerationOptions.builder()
              .optTemperature(0)
              .optMaxTokens(24)
              .optUseKvCache(cache)
              .optAnswerCue("never")
              .build();
      List<Sample> samples = lm.generate(requests, options);
      for (int q = 0; q < golden.size(); q++) {
        assertArrayEquals(
            golden.get(q).greedy(), samples.get(q).tokenIds(), "cache " + cache + " row " + q);
      }
    }
  }

  @Test
  void sampledGenerationIsTheSameWithAndWithoutCacheAndScoresAsReported() {
    List<GenerationRequest> requests = new ArrayList<>();
    for (Golden g : golden) {
      requests.add(GenerationRequest.of(g.prompt()));
    }
    // A forced prefix starts a row mid-trace, as Monte Carlo values do.
    Golden first = golden.get(0);
    int[] prefix = lm.tokenizer().encode(first.trace().substring(0, 7));
    requests.add(new GenerationRequest(first.prompt(), prefix));
    GenerationOptions.Builder builder =
        GenerationOptions.builder().optTemperature(1).optMaxTokens(30).optSeed(7);
    List<Sample> cached = lm.generate(requests, builder.optUseKvCache(true).build());
    List<Sample> uncached = lm.generate(requests, builder.optUseKvCache(false).build());
    boolean sawAnswerLine = false;
    for (int q = 0; q < requests.size(); q++) {
      Sample a = cached.get(q);
      Sample b = uncached.get(q);
      assertArrayEquals(a.tokenIds(), b.tokenIds(), "row " + q);
      assertEquals(a.stopReason(), b.stopReason());
      sawAnswerLine |= a.stopReason() == Sample.StopReason.ANSWER_LINE;
      assertFalse(
          a.text().contains("<pad>") || a.text().contains("<s>"), "pad/bos sampled: " + a.text());
      // Reported log-probs and entropies are those score() gives the same tokens.
      GenerationRequest r = requests.get(q);
      int[] trace = new int[r.forcedPrefixTokens().length + a.tokenIds().length];
      System.arraycopy(r.forcedPrefixTokens(), 0, trace, 0, r.forcedPrefixTokens().length);
      System.arraycopy(a.tokenIds(), 0, trace, r.forcedPrefixTokens().length, a.tokenIds().length);
      TraceScore scored = lm.score(List.of(new ScoreRequest(r.prompt(), trace))).get(0);
      int from = r.forcedPrefixTokens().length;
      for (int j = 0; j < a.tokenIds().length; j++) {
        assertEquals(scored.logProbs()[from + j], a.logProbs()[j], TOKEN_TOLERANCE);
        assertEquals(scored.entropies()[from + j], a.entropies()[j], TOKEN_TOLERANCE);
        assertEquals(a.logProbs()[j], b.logProbs()[j], TOKEN_TOLERANCE);
      }
    }
    assertTrue(sawAnswerLine, "no sample ended on its answer line");
  }

  @Test
  void callsLeaveNoArraysBehind() {
    Golden g = golden.get(2);
    int[] trace = traceTokens(g);
    List<ValueRequest> values =
        List.of(new ValueRequest(g.prompt(), trace, g.boundaries(), answerCue, g.answer()));
    List<GenerationRequest> prompts =
        List.of(GenerationRequest.of(g.prompt()), GenerationRequest.of(golden.get(0).prompt()));
    // Warm up once: the first forward may create arrays the module keeps.
    lm.score(List.of(new ScoreRequest(g.prompt(), trace)));
    int before = lm.liveArrays();
    lm.score(List.of(new ScoreRequest(g.prompt(), trace)));
    lm.answerValues(values, true);
    lm.answerValues(values, false);
    for (boolean cache : new boolean[] {true, false}) {
      lm.generate(
          prompts,
          GenerationOptions.builder().optMaxTokens(40).optUseKvCache(cache).optSeed(3).build());
    }
    assertEquals(before, lm.liveArrays());
  }

  @Test
  void cachedDecodingHoldsTheSameArraysAtEveryStep() {
    List<Integer> live = new ArrayList<>();
    lm.observeDecodeSteps(live::add);
    try {
      // A cue that never occurs, and a prompt whose greedy golden has no eos in 24 tokens.
      lm.generate(
          List.of(GenerationRequest.of(golden.get(2).prompt())),
          GenerationOptions.builder()
              .optTemperature(0)
              .optMaxTokens(40)
              .optAnswerCue("never")
              .build());
    } finally {
      lm.observeDecodeSteps(null);
    }
    assertTrue(live.size() > 10, live.size() + " steps");
    // Only the cache (whose length grows, not its count of arrays) outlives a step.
    for (int count : live) {
      assertEquals(live.get(0), count, "live arrays per step " + live);
    }
  }

  @Test
  void declaresNoGradientsOrTraining() {
    assertTrue(lm.supports(BackendCapability.ENTROPIES));
    assertTrue(lm.supports(BackendCapability.GENERATION));
    assertTrue(lm.supports(BackendCapability.KV_REUSE));
    assertFalse(lm.supports(BackendCapability.GRADIENTS));
    assertFalse(lm.supports(BackendCapability.TRAINING));
    Golden g = golden.get(1);
    List<ValueRequest> request =
        List.of(new ValueRequest(g.prompt(), traceTokens(g), new int[] {0}, answerCue, "9\n"));
    assertThrows(UnsupportedCapabilityException.class, () -> lm.gradientTimesInput(request));
  }

  @Test
  void kindRecognisesTheFixtureAndNothingElse(@TempDir Path empty) throws IOException {
    assertTrue(TorchScriptCausalLm.KIND.recognises(fixture));
    assertFalse(TorchScriptCausalLm.KIND.recognises(empty));
    try (var opened = TorchScriptCausalLm.KIND.open(fixture)) {
      Golden g = golden.get(1);
      float[] lp = opened.logProbs(List.of(new ScoreRequest(g.prompt(), traceTokens(g)))).get(0);
      assertGoldenTail(g.logProbs(), lp, g.trace());
    }
  }

  @Test
  void refusesAnExportWhoseShapesDoNotFitItsCard(@TempDir Path copy) throws IOException {
    for (String file : List.of("model.pt", "tokenizer.json")) {
      Files.copy(fixture.resolve(file), copy.resolve(file));
    }
    ObjectNode card = (ObjectNode) JSON.readTree(fixture.resolve(ModelCard.FILE_NAME).toFile());
    card.put("layers", 3);
    JSON.writeValue(copy.resolve(ModelCard.FILE_NAME).toFile(), card);
    IOException layers = assertThrows(IOException.class, () -> TorchScriptCausalLm.open(copy));
    assertTrue(layers.getMessage().contains("(1, 2, 2, 1, 8)"), layers.getMessage());
    card.put("layers", 2);
    card.put("headDim", 4);
    JSON.writeValue(copy.resolve(ModelCard.FILE_NAME).toFile(), card);
    assertThrows(IOException.class, () -> TorchScriptCausalLm.open(copy));
  }

  @Test
  void refusesACardWithAChatTemplate(@TempDir Path copy) throws IOException {
    for (String file : List.of("model.pt", "tokenizer.json")) {
      Files.copy(fixture.resolve(file), copy.resolve(file));
    }
    ObjectNode card = (ObjectNode) JSON.readTree(fixture.resolve(ModelCard.FILE_NAME).toFile());
    card.put("chatTemplate", "{{ messages }}");
    JSON.writeValue(copy.resolve(ModelCard.FILE_NAME).toFile(), card);
    IOException e = assertThrows(IOException.class, () -> TorchScriptCausalLm.open(copy));
    assertTrue(e.getMessage().contains("chat template"), e.getMessage());
  }
}
