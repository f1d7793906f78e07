package dev.rredcot.model.backend.endpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The completions backend against a real {@link CompletionsServer} serving the built-in policy:
 * log-probs, entropies and values through HTTP equal the in-process ones, and a server that is gone
 * fails with {@code model-server-unavailable}.
 */
class CompletionsEndpointTest {

  private static final String PROMPT = "Q: 37+25-18+9\n";
  private static final String TRACE = "37+25=62\n62-18=44\n44+9=53\nA: 53\n";

  private static Tokenizer tokenizer;
  private static Policy policy;
  private static CompletionsServer server;
  private static CompletionsBackend endpoint;

  @BeforeAll
  static void serve() throws IOException {
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
    policy = Policy.create(config, tokenizer, 5);
    server = CompletionsServer.start(policy, "test-policy", 0);
    // Batches of 3 sequences, so one value call spans several HTTP requests.
    endpoint =
        CompletionsBackend.connect(
            URI.create(server.url() + "/v1"),
            tokenizer,
            EndpointSettings.builder().optBatchSize(3).build());
  }

  @AfterAll
  static void stop() {
    endpoint.close();
    server.close();
    policy.close();
  }

  @Test
  void theServersModelListGivesContextVersionAndEntropies() {
    assertEquals(96, endpoint.maxContext());
    assertEquals(policy.version(), endpoint.version());
    assertTrue(endpoint.supports(BackendCapability.ENTROPIES));
    assertFalse(endpoint.supports(BackendCapability.GENERATION));
    assertFalse(endpoint.supports(BackendCapability.KV_REUSE));
  }

  @Test
  void logProbsAndEntropiesThroughHttpEqualTheInProcessOnes() {
    List<ScoreRequest> batch =
        List.of(
            new ScoreRequest(PROMPT, tokenizer.encode(TRACE)),
            new ScoreRequest("Q: 4+5\n", tokenizer.encode("4+5=9\nA: 9\n")));
    List<TraceScore> local = policy.score(batch);
    List<TraceScore> remote = endpoint.score(batch);
    for (int i = 0; i < batch.size(); i++) {
      assertArrayEquals(local.get(i).logProbs(), remote.get(i).logProbs(), 1e-5f);
      assertArrayEquals(local.get(i).entropies(), remote.get(i).entropies(), 1e-5f);
    }
  }

  @Test
  void answerAndBankValuesThroughHttpEqualTheInProcessValues() {
    int[] trace = tokenizer.encode(TRACE);
    List<ValueRequest> answers =
        List.of(
            new ValueRequest(PROMPT, trace, new int[] {0, 9, 18, 26}, "A: ", "53\n"),
            new ValueRequest(
                "Q: 4+5\n", tokenizer.encode("4+5=9\n"), new int[] {0, 6}, "A: ", "9\n"));
    assertValuesEqual(policy.answerValues(answers, true), endpoint.answerValues(answers, true));
    List<List<String>> steps =
        List.of(
            List.of("37+25=62\n", "62-18=44\n", "44+9=53\n"),
            List.of("25+37=62\n", "62-18=44\n", "44+9=53\n"));
    for (BankAggregation aggregation : BankAggregation.values()) {
      List<BankRequest> banks =
          List.of(
              new BankRequest(
                  PROMPT, trace, new int[] {0, 5, 9, 18, 26}, steps, "A: ", "53\n", aggregation));
      assertValuesEqual(policy.bankValues(banks, true), endpoint.bankValues(banks, true));
    }
  }

  @Test
  void aServerThatIsGoneFailsWithModelServerUnavailableAfterItsRetries() throws IOException {
    Policy other = Policy.create(policy.config(), tokenizer, 6);
    CompletionsServer doomed = CompletionsServer.start(other, "doomed", 0);
    CompletionsBackend client =
        CompletionsBackend.connect(
            doomed.url(),
            tokenizer,
            EndpointSettings.builder()
                .optRetries(2)
                .optBackoff(Duration.ofMillis(10))
                .optTimeout(Duration.ofSeconds(5))
                .build());
    doomed.close();
    other.close();
    ModelServerUnavailableException e =
        assertThrows(
            ModelServerUnavailableException.class,
            () -> client.logProbs(List.of(new ScoreRequest(PROMPT, tokenizer.encode(TRACE)))));
    assertTrue(e.getMessage().startsWith("model-server-unavailable: "), e.getMessage());
    assertTrue(e.getMessage().contains("failed 3 times"), e.getMessage());
  }

  @Test
  void connectingToNothingIsModelServerUnavailable() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    URI nowhere = URI.create("http://127.0.0.1:" + port);
    assertThrows(
        ModelServerUnavailableException.class,
        () ->
            CompletionsBackend.connect(
                nowhere,
                tokenizer,
                EndpointSettings.builder()
                    .optRetries(0)
                    .optTimeout(Duration.ofSeconds(2))
                    .build()));
  }

  @Test
  void aRequestTheServerRefusesFailsAtOnceWithTheServersMessage() {
    // A token outside the server's vocabulary is a bad request (HTTP 400), not an outage.
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                endpoint.logProbs(
                    List.of(new ScoreRequest(PROMPT, new int[] {tokenizer.vocabSize() + 3}))));
    assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
  }

  private static void assertValuesEqual(List<double[]> expected, List<double[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int q = 0; q < expected.size(); q++) {
      assertArrayEquals(expected.get(q), actual.get(q), 1e-5, "request " + q);
    }
  }
}
