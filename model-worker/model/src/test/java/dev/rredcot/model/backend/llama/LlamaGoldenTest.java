package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed BabyLlama weights ({@code models/babyllama-tok105}) through both loading paths —
 * the llama2.c checkpoint and the Hugging Face directory the exporter writes from it — against the
 * reference figures of an independent PyTorch implementation in its {@code golden.json}.
 */
class LlamaGoldenTest {

  private static final Logger LOG = LoggerFactory.getLogger(LlamaGoldenTest.class);

  /** Per-token agreement with the reference (float32 here, float64 log-softmax there). */
  private static final double TOKEN_TOLERANCE = 1e-4;

  private static final double SUM_TOLERANCE = 1e-3;

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path exported;

  private static Path modelDir;
  private static JsonNode golden;
  private static int[] goldenIds;
  private static double[] goldenLogProbs;
  private static LlamaCausalLm llama2c;
  private static LlamaCausalLm huggingFace;

  @BeforeAll
  static void open() throws IOException {
    modelDir = RepositoryFiles.babyLlama();
    golden = JSON.readTree(modelDir.resolve("golden.json").toFile());
    goldenIds = JSON.convertValue(golden.path("token_ids"), int[].class);
    goldenLogProbs = JSON.convertValue(golden.path("token_logprobs"), double[].class);
    llama2c = LlamaCausalLm.openLlama2c(modelDir);
    Llama2cDirectory.exportHuggingFace(modelDir, exported);
    huggingFace = LlamaCausalLm.openHuggingFace(exported);
  }

  @AfterAll
  static void close() {
    llama2c.close();
    huggingFace.close();
  }

  @Test
  void committedFilesAreTheOnesTheProvenanceNoteLists() throws Exception {
    Map<String, String> digests =
        Map.of(
            "model5000.bin", "98b63851593002f0ab706ff1db61fd9f5fd73d89df34970dd66eced9ee954464",
            "tok105.vocab", "e55a336fb620a372a3627c8a1bfeff9de95b3970d2b2eef8b8240da885cbe82c",
            "tok105.model", "eed6827c1b4d876b982b9b628626dba444960a041857085e0d88c4a92aa8d3c6");
    for (Map.Entry<String, String> e : digests.entrySet()) {
      assertEquals(e.getValue(), sha256(modelDir.resolve(e.getKey())), e.getKey());
    }
  }

  @Test
  void bothTokenizerFilesEncodeTheGoldenSentenceAsSentencepieceDoes() throws IOException {
    int[] expected = Arrays.copyOfRange(goldenIds, 1, goldenIds.length);
    String sentence = golden.path("sentence").asText();
    for (String file : List.of("tok105.model", "tok105.vocab")) {
      SentencePieceCharTokenizer tokenizer =
          SentencePieceCharTokenizer.read(modelDir.resolve(file));
      assertEquals(goldenIds[0], tokenizer.bosId(), file);
      assertArrayEquals(expected, tokenizer.encodeWithDummyPrefix(sentence), file);
      assertEquals(" " + sentence, tokenizer.decode(goldenIds), file);
    }
  }

  @Test
  void llama2cCheckpointMatchesGoldenLogProbsInOnePass() {
    assertMatchesGolden("llama2c, one pass", fullPass(llama2c));
  }

  @Test
  void llama2cCheckpointMatchesGoldenLogProbsThroughTheKvCache() {
    assertMatchesGolden("llama2c, KV cache", llama2c.logProbsOneTokenAtATime(goldenIds));
  }

  @Test
  void exportedHuggingFaceDirectoryMatchesGoldenLogProbsInOnePass() {
    assertMatchesGolden("Hugging Face, one pass", fullPass(huggingFace));
  }

  @Test
  void exportedHuggingFaceDirectoryMatchesGoldenLogProbsThroughTheKvCache() {
    assertMatchesGolden("Hugging Face, KV cache", huggingFace.logProbsOneTokenAtATime(goldenIds));
  }

  @Test
  void exportedDirectoryUsesHuggingFacesRotaryConventionWithPermutedWeights() throws IOException {
    // The exporter permutes q/k rather than recording llama2.c's convention, so the rotate-half
    // path is what matched the golden numbers above.
    assertEquals(LlamaConfig.RopeConvention.INTERLEAVED, llama2c.config().rope());
    assertEquals(LlamaConfig.RopeConvention.HALF, huggingFace.config().rope());
    JsonNode config = JSON.readTree(exported.resolve("config.json").toFile());
    assertEquals("llama", config.path("model_type").asText());
    assertFalse(config.has(LlamaConfig.ROPE_CONVENTION_FIELD));
    assertFalse(
        Safetensors.read(exported.resolve("model.safetensors")).containsKey("lm_head.weight"));
  }

  @Test
  void greedyContinuationFromBosIsGoldensWithAndWithoutTheCache() {
    String expected = golden.path("greedy_from_bos_60").asText();
    for (PolicyBackend lm : List.of(llama2c, huggingFace)) {
      for (boolean cache : new boolean[] {true, false}) {
        GenerationOptions options =
            GenerationOptions.builder()
                .optTemperature(0)
                .optMaxTokens(60)
                .optUseKvCache(cache)
                .build();
        Sample sample = lm.generate(List.of(GenerationRequest.of("")), options).get(0);
        // The first token is the dummy-prefix space that sentencepiece drops when decoding.
        assertEquals(" " + expected, sample.text(), lm.description() + ", cache " + cache);
      }
    }
  }

  @Test
  void answerValuesReusingThePrefixCacheAgreeWithFullRescoring() {
    // "▁Once upon a time, there was a", then " little" after each boundary.
    int[] trace = Arrays.copyOfRange(goldenIds, 1, 31);
    ValueRequest request = new ValueRequest("", trace, new int[] {0, 5, 17, 30}, " ", "little");
    double[] reused = llama2c.answerValues(List.of(request), true).get(0);
    double[] rescored = llama2c.answerValues(List.of(request), false).get(0);
    for (int i = 0; i < reused.length; i++) {
      assertEquals(rescored[i], reused[i], 1e-5 * Math.max(1, rescored[i]), "boundary " + i);
    }
    // The story's own word after its own prefix: golden puts about -0.56 nats on it.
    assertTrue(reused[3] > 0.4, Arrays.toString(reused));
    assertTrue(reused[0] < reused[3], Arrays.toString(reused));
  }

  @Test
  void declaresWhatItCanDoAndNoTraining() {
    assertTrue(llama2c.supports(BackendCapability.KV_REUSE));
    assertTrue(llama2c.supports(BackendCapability.GENERATION));
    assertTrue(llama2c.supports(BackendCapability.ENTROPIES));
    assertTrue(llama2c.supports(BackendCapability.GRADIENTS));
    assertFalse(llama2c.supports(BackendCapability.TRAINING));
  }

  @Test
  void gradientTimesInputIsTheDerivativeOfTheAnswerAlongEachTokensEmbedding() {
    // Scaling token j's embedding by (1 + a) changes log p(answer) at rate gradient . embedding
    // at a = 0: a central difference of the forward pass is the oracle.
    int[] trace = Arrays.copyOfRange(goldenIds, 1, 31);
    ValueRequest request = new ValueRequest("", trace, new int[] {0}, " ", "little");
    List<ValueRequest> batch =
        List.of(request, new ValueRequest("", Arrays.copyOf(trace, 12), new int[] {0}, " ", "a"));
    double[] attribution = llama2c.gradientTimesInput(batch).get(0);
    assertEquals(trace.length, attribution.length);
    float h = 0.01f;
    double largest = 0;
    for (int j : new int[] {0, 7, 15, 26, 29}) {
      double numeric =
          (llama2c.answerLogProbWithScaledToken(request, j, 1 + h)
                  - llama2c.answerLogProbWithScaledToken(request, j, 1 - h))
              / (2 * h);
      LOG.info("token {}: gradient x input {}, central difference {}", j, attribution[j], numeric);
      assertEquals(numeric, attribution[j], 5e-4 + 0.01 * Math.abs(numeric), "token " + j);
      largest = Math.max(largest, Math.abs(attribution[j]));
    }
    // Not all zero: the answer depends on what the trace says.
    assertTrue(largest > 1e-3, Arrays.toString(attribution));
  }

  @Test
  void modelOptionRecognisesBothLayouts() throws IOException {
    assertEquals(LlamaCausalLm.LLAMA2C_KIND, BackendKinds.recognise(modelDir).orElseThrow());
    assertEquals(LlamaCausalLm.HUGGING_FACE_KIND, BackendKinds.recognise(exported).orElseThrow());
    try (PolicyBackend opened = BackendKinds.open(exported)) {
      assertInstanceOf(LlamaCausalLm.class, opened);
      assertEquals(256, opened.maxContext());
    }
  }

  private static float[] fullPass(PolicyBackend lm) {
    int[] trace = Arrays.copyOfRange(goldenIds, 1, goldenIds.length);
    return lm.logProbs(List.of(new ScoreRequest("", trace))).get(0);
  }

  private static void assertMatchesGolden(String what, float[] logProbs) {
    assertEquals(goldenLogProbs.length, logProbs.length, what);
    double maxDiff = 0;
    double sum = 0;
    for (int i = 0; i < logProbs.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(logProbs[i] - goldenLogProbs[i]));
      sum += logProbs[i];
    }
    LOG.info(
        "{}: max |log-prob - golden| = {}, sum {} (golden {})",
        what,
        maxDiff,
        sum,
        golden.path("sum_logprob").asDouble());
    assertTrue(maxDiff <= TOKEN_TOLERANCE, what + ": max difference " + maxDiff);
    assertEquals(golden.path("sum_logprob").asDouble(), sum, SUM_TOLERANCE, what);
  }

  private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
