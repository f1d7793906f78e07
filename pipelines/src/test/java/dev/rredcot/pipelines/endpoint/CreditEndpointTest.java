package dev.rredcot.pipelines.endpoint;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.backend.endpoint.CompletionsServer;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.TinyPolicies;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/credit} on a live loopback server with a tiny random policy: its credit for a
 * group equals {@link dev.rredcot.pipelines.credit.GroupCreditor}'s for the same group under
 * settings built independently of the request's options (GroupCreditorTest shows the credit job's
 * stages equal GroupCreditor), whatever form the traces arrive in; bad requests get 400 (or 405,
 * 413) naming the field.
 */
class CreditEndpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LONG_TRACE = "1+1=2\n".repeat(20) + "A: 38\n";
  private static final String[] TEXTS = {
    TinyPolicies.CORRECT, TinyPolicies.WRONG, TinyPolicies.CORRECT, TinyPolicies.WRONG, LONG_TRACE
  };
  private static final int SMALL_LIMIT = 2048;

  @TempDir static Path store;
  private static Policy policy;
  private static CompletionsServer server;
  private static HttpClient http;

  @BeforeAll
  static void serve() throws IOException {
    Checkpoint checkpoint = TinyPolicies.save(store, 1, 11);
    policy = Policy.load(checkpoint);
    server = CompletionsServer.start(policy, "tiny", 0);
    server.addContext(
        CreditEndpoint.PATH,
        new CreditEndpoint(
            policy, "tiny", store.toString(), "", CreditEndpoint.DEFAULT_MAX_BODY_BYTES));
    server.addContext(
        "/small/credit", new CreditEndpoint(policy, "tiny", store.toString(), "", SMALL_LIMIT));
    http = HttpClient.newHttpClient();
  }

  @AfterAll
  static void stop() {
    server.close();
    policy.close();
  }

  /** The group as a client sends it, each trace in another of the accepted forms. */
  private static ObjectNode request() {
    ObjectNode body = JSON.createObjectNode();
    body.put("group_id", "g");
    body.put("prompt", TinyPolicies.PROMPT);
    ArrayNode traces = body.putArray("traces");
    traces.add(TEXTS[0]);
    ArrayNode ids = traces.addArray();
    for (int id : TinyPolicies.TOKENIZER.encode(TEXTS[1])) {
      ids.add(id);
    }
    ObjectNode both = traces.addObject();
    both.put("text", TEXTS[2]);
    ArrayNode bothIds = both.putArray("token_ids");
    for (int id : TinyPolicies.TOKENIZER.encode(TEXTS[2])) {
      bothIds.add(id);
    }
    traces.addObject().put("text", TEXTS[3]);
    traces.add(TEXTS[4]);
    ArrayNode rewards = body.putArray("rewards");
    for (String text : TEXTS) {
      rewards.add(text.equals(TinyPolicies.CORRECT) ? 1.0 : 0.0);
    }
    body.put("task_family", "arith");
    body.put("reference_answer", "37");
    body.put("reference_solution", TinyPolicies.CORRECT);
    return body;
  }

  private static List<Rollout> rollouts() {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < TEXTS.length; i++) {
      rollouts.add(
          TinyPolicies.rollout("g", i, TEXTS.length, TEXTS[i]).setRolloutId("g-" + i).build());
    }
    return rollouts;
  }

  private static HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(server.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode credit(ObjectNode request) throws Exception {
    HttpResponse<String> response = post(CreditEndpoint.PATH, request.toString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static CreditSettings expectedSettings(
      AdvantageRule rule, ValueEstimator estimator, SegmentationSettings segmentation) {
    return CreditSettings.builder()
        .optSegmentation(segmentation)
        .optValueEstimator(estimator)
        .optModel(
            estimator.needsPolicy()
                ? ModelSettings.builder().setCheckpointDir(store.toString()).build()
                : null)
        .optAdvantages(new TokenAdvantages.Settings(rule, GroupAdvantages.DEFAULT_EPSILON, 2.0))
        .build();
  }

  /**
   * Asserts the response's credit equals {@code settings}' GroupCreditor credit for the group
   * within 1e-6, trace by trace, failures (step and reason) included.
   */
  static void assertEqualsGroupCreditor(JsonNode response, CreditSettings settings) {
    List<Rollout> rollouts = rollouts();
    List<CreditedTrace> expected =
        settings.creditor().credit(policy, TraceGroup.of("g", rollouts.size(), true, rollouts));
    JsonNode traces = response.get("traces");
    assertEquals(expected.size(), traces.size());
    int credited = 0;
    for (int i = 0; i < expected.size(); i++) {
      CreditedTrace want = expected.get(i);
      JsonNode got = traces.get(i);
      assertEquals(i, got.get("index").asInt());
      assertEquals(TEXTS[i], got.get("text").asText());
      assertArrayEquals(TinyPolicies.TOKENIZER.encode(TEXTS[i]), ints(got.get("token_ids")));
      if (!want.succeeded()) {
        assertEquals(want.failure().reason(), got.path("error").path("reason").asText(), "" + got);
        assertEquals(want.failure().step().stage(), got.path("error").path("step").asText());
        continue;
      }
      credited++;
      assertFalse(got.has("error"), "" + got);
      assertArrayEquals(want.boundaries(), ints(got.get("token_boundaries")), "trace " + i);
      // The arithmetic tokenizer writes one character per token: char offsets are token offsets.
      assertArrayEquals(want.boundaries(), ints(got.get("char_boundaries")), "trace " + i);
      assertArrayEquals(want.values(), doubles(got.get("boundary_values")), 1e-6, "trace " + i);
      assertArrayEquals(
          want.segmentRewards(), doubles(got.get("segment_rewards")), 1e-6, "trace " + i);
      float[] advantages = want.advantages();
      double[] gotAdvantages = doubles(got.get("token_advantages"));
      assertEquals(advantages.length, gotAdvantages.length);
      for (int t = 0; t < advantages.length; t++) {
        assertEquals(advantages[t], gotAdvantages[t], 1e-6, "trace " + i + " token " + t);
      }
    }
    assertThat(credited, equalTo(4));
  }

  @Test
  void defaultOptionsAreTheRredcotPresetAndEqualGroupCreditor() throws Exception {
    JsonNode response = credit(request());
    assertEquals("rredcot-rudder-calibrated", response.get("credit_method").asText());
    assertEquals("bank", response.get("value_estimator").asText());
    assertEquals("hybrid", response.get("segmentation").asText());
    assertEqualsGroupCreditor(
        response,
        expectedSettings(
            AdvantageRule.RREDCOT_RUDDER_CALIBRATED,
            ValueEstimator.BANK,
            SegmentationSettings.builder().setStrategy(SegmentationStrategy.HYBRID).build()));
    // The long trace is refused by the segment step, as the job dead-letters it.
    assertEquals(
        "trace-too-long", response.get("traces").get(4).path("error").path("reason").asText());
  }

  @Test
  void rudderWithAnswerValuesEqualsGroupCreditor() throws Exception {
    ObjectNode request = request();
    ObjectNode options = request.putObject("options");
    options.put("credit_method", "rredcot-rudder");
    options.put("value_estimator", "answer");
    options.put("segmentation", "hybrid");
    options.put("target_segments", 2);
    JsonNode response = credit(request);
    assertEqualsGroupCreditor(
        response,
        expectedSettings(
            AdvantageRule.RREDCOT_RUDDER,
            ValueEstimator.ANSWER,
            SegmentationSettings.builder()
                .setStrategy(SegmentationStrategy.HYBRID)
                .optTargetSegments(2)
                .build()));
    // Three lines merged to the requested two segments (the default target, 8, would keep three).
    JsonNode first = response.get("traces").get(0);
    assertEquals(3, first.get("token_boundaries").size(), "" + first);
    assertEquals(policy.version(), first.get("scoring_policy_version").asLong());
  }

  @Test
  void grpoPresetEqualsGroupCreditor() throws Exception {
    ObjectNode request = request();
    request.putObject("options").put("credit", "grpo");
    JsonNode response = credit(request);
    CreditSettings grpo =
        expectedSettings(AdvantageRule.GRPO, ValueEstimator.NONE, SegmentationSettings.single());
    // GRPO needs no model, so nothing refuses the long trace.
    List<Rollout> rollouts = rollouts();
    List<CreditedTrace> expected =
        grpo.creditor().credit(policy, TraceGroup.of("g", rollouts.size(), true, rollouts));
    for (int i = 0; i < expected.size(); i++) {
      JsonNode got = response.get("traces").get(i);
      assertArrayEquals(expected.get(i).values(), doubles(got.get("boundary_values")), 1e-6);
      double[] advantages = doubles(got.get("token_advantages"));
      for (int t = 0; t < advantages.length; t++) {
        assertEquals(expected.get(i).advantages()[t], advantages[t], 1e-6);
      }
      assertTrue(got.get("scoring_policy_version").isNull());
    }
  }

  @Test
  void charBoundariesCountCodePointsAndStopBeforeAHalfDecodedCharacter() {
    // A stand-in byte-level decoding: a prefix that ends inside "é" decodes to a replacement char.
    Tokenizer bytes =
        new Tokenizer() {
          @Override
          public String name() {
            return "bytes";
          }

          @Override
          public int vocabSize() {
            return 4;
          }

          @Override
          public int padId() {
            return 0;
          }

          @Override
          public int bosId() {
            return 0;
          }

          @Override
          public int eosId() {
            return 0;
          }

          @Override
          public int[] encode(String text) {
            throw new UnsupportedOperationException("only decoding is exercised");
          }

          @Override
          public String decode(int[] ids) {
            return switch (ids.length) {
              case 0 -> "";
              case 1 -> "\uD83D\uDE00"; // one code point, two UTF-16 chars
              case 2 -> "\uD83D\uDE00\uFFFD"; // the first byte of "é" alone
              default -> "\uD83D\uDE00é!";
            };
          }

          @Override
          public void save(Path dir) {
            throw new UnsupportedOperationException("only decoding is exercised");
          }
        };
    String text = "\uD83D\uDE00é!";
    int[] ids = {0, 1, 2, 3};
    assertEquals(0, CreditEndpoint.charOffset(bytes, ids, 0, text));
    assertEquals(1, CreditEndpoint.charOffset(bytes, ids, 1, text));
    assertEquals(1, CreditEndpoint.charOffset(bytes, ids, 2, text));
    assertEquals(3, CreditEndpoint.charOffset(bytes, ids, 4, text));
  }

  private static void assertBad(ObjectNode request, String field, String reason) throws Exception {
    assertBad(CreditEndpoint.PATH, request.toString(), 400, field, reason);
  }

  private static void assertBad(String path, String body, int status, String field, String reason)
      throws Exception {
    HttpResponse<String> response = post(path, body);
    assertEquals(status, response.statusCode(), response.body());
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertEquals(field, error.get("field").asText(), response.body());
    assertEquals(reason, error.get("reason").asText(), response.body());
    assertFalse(error.get("message").asText().isBlank());
  }

  @Test
  void aRewardTheTaskFamilyDoesNotVerifyIsRefusedNamingIt() throws Exception {
    ObjectNode request = request();
    ((ArrayNode) request.get("rewards")).set(1, JSON.getNodeFactory().numberNode(1.0));
    assertBad(request, "rewards[1]", "reward-mismatch");
  }

  @Test
  void rewardsOfAnotherLengthAreRefused() throws Exception {
    ObjectNode request = request();
    ((ArrayNode) request.get("rewards")).remove(0);
    assertBad(request, "rewards", "rewards-length-mismatch");
  }

  @Test
  void aGroupOfOneIsRefused() throws Exception {
    ObjectNode request = request();
    request.putArray("traces").add(TinyPolicies.CORRECT);
    request.putArray("rewards").add(1.0);
    assertBad(request, "traces", "invalid-group-size");
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreRefused() throws Exception {
    ObjectNode request = request();
    ((ArrayNode) request.get("traces")).set(1, JSON.createArrayNode().add(1).add(100_000));
    assertBad(request, "traces[1]", "unmappable-tokens");
  }

  @Test
  void textTheTokenizerCannotWriteIsRefused() throws Exception {
    ObjectNode request = request();
    ((ArrayNode) request.get("traces")).set(0, JSON.getNodeFactory().textNode("日本\nA: 37\n"));
    assertBad(request, "traces[0]", "unmappable-text");
  }

  @Test
  void tokenIdsThatDoNotSpellTheTextAreRefused() throws Exception {
    ObjectNode request = request();
    ObjectNode trace = (ObjectNode) request.get("traces").get(2);
    trace.put("text", TinyPolicies.WRONG);
    assertBad(request, "traces[2]", "tokens-text-mismatch");
  }

  @Test
  void entropiesOfAnotherLengthAreRefused() throws Exception {
    ObjectNode request = request();
    ((ObjectNode) request.get("traces").get(3)).putArray("entropies").add(0.5);
    assertBad(request, "traces[3].entropies", "entropies-length-mismatch");
  }

  @Test
  void missingOrUnknownTaskFamilyIsRefused() throws Exception {
    ObjectNode request = request();
    request.remove("task_family");
    assertBad(request, "task_family", "missing-field");
    request.put("task_family", "chess");
    assertBad(request, "task_family", "unknown-task-family");
  }

  @Test
  void blankReferenceAnswerIsRefused() throws Exception {
    ObjectNode request = request();
    request.put("reference_answer", " ");
    assertBad(request, "reference_answer", "missing-reference-answer");
  }

  @Test
  void unknownFieldsAndOptionsAreRefusedByName() throws Exception {
    ObjectNode request = request();
    request.put("reward", 1);
    assertBad(request, "reward", "unknown-field");
    request = request();
    request.putObject("options").put("checkpoint_dir", "/etc");
    assertBad(request, "options.checkpoint_dir", "unknown-option");
  }

  @Test
  void badOptionValuesNameTheOption() throws Exception {
    ObjectNode request = request();
    request.putObject("options").put("value_estimator", "oracle");
    assertBad(request, "options.value_estimator", "invalid-option");
    request.putObject("options").put("target_segments", "three");
    assertBad(request, "options.target_segments", "invalid-option");
    request.putObject("options").put("credit_method", "ppo");
    assertBad(request, "options.credit_method", "invalid-option");
  }

  @Test
  void anInvalidCombinationOfOptionsIsRefused() throws Exception {
    ObjectNode request = request();
    ObjectNode options = request.putObject("options");
    options.put("value_estimator", "none");
    options.put("segmentation", "hybrid");
    HttpResponse<String> response = post(CreditEndpoint.PATH, request.toString());
    assertEquals(400, response.statusCode());
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertEquals("options", error.get("field").asText());
    assertThat(error.get("message").asText(), containsString("single segment"));
  }

  @Test
  void aBodyThatIsNotJsonIsRefused() throws Exception {
    assertBad(CreditEndpoint.PATH, "{\"prompt\": ", 400, "body", "not-json");
    assertBad(CreditEndpoint.PATH, "[1, 2]", 400, "body", "not-an-object");
  }

  @Test
  void aBodyOverTheLimitGets413() throws Exception {
    ObjectNode request = request();
    request.put("group_id", "x".repeat(SMALL_LIMIT));
    assertBad("/small/credit", request.toString(), 413, "body", "body-too-large");
    // The same endpoint still credits a body within its limit.
    HttpResponse<String> fits = post("/small/credit", request().toString());
    assertEquals(200, fits.statusCode(), fits.body());
  }

  @Test
  void onlyPostIsServed() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url() + CreditEndpoint.PATH)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, response.statusCode());
  }

  private static int[] ints(JsonNode array) {
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asInt();
    }
    return values;
  }

  private static double[] doubles(JsonNode array) {
    double[] values = new double[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asDouble();
    }
    return values;
  }
}
