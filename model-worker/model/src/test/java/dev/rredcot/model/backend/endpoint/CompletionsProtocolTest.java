package dev.rredcot.model.backend.endpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The completions client against a scripted server that answers like vLLM: no exact entropies,
 * top-k log-probs, one generated token after the echoed prompt, and transient failures.
 */
class CompletionsProtocolTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CharTokenizer TOKENIZER = CharTokenizer.arithmetic();

  private HttpServer server;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final List<JsonNode> requests = new ArrayList<>();

  /** Token j of every prompt gets log-prob −(j/10) and top-2 {a: ln 0.5, b: ln 0.25}. */
  private void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/models",
        exchange -> send(exchange, 200, "{\"data\":[{\"id\":\"m\",\"max_model_len\":64}]}"));
    server.createContext(
        "/v1/completions",
        exchange -> {
          JsonNode request = JSON.readTree(exchange.getRequestBody());
          synchronized (requests) {
            requests.add(request);
          }
          if (failuresLeft.getAndDecrement() > 0) {
            send(exchange, 503, "{\"error\":\"busy\"}");
            return;
          }
          StringBuilder choices = new StringBuilder();
          int index = 0;
          for (JsonNode prompt : request.get("prompt")) {
            StringBuilder lps = new StringBuilder("null");
            StringBuilder tops = new StringBuilder("null");
            // The prompt's tokens, then one generated token (max_tokens 1).
            for (int j = 1; j <= prompt.size(); j++) {
              lps.append(',').append(-j / 10.0);
              tops.append(",{\"a\":")
                  .append(Math.log(0.5))
                  .append(",\"b\":")
                  .append(Math.log(0.25))
                  .append('}');
            }
            if (index > 0) {
              choices.append(',');
            }
            choices
                .append("{\"index\":")
                .append(index++)
                .append(",\"logprobs\":{\"token_logprobs\":[")
                .append(lps)
                .append("],\"top_logprobs\":[")
                .append(tops)
                .append("]}}");
          }
          send(exchange, 200, "{\"choices\":[" + choices + "]}");
        });
    server.start();
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/");
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void topKLogProbsGiveTruncatedEntropiesAndTheGeneratedTokenIsIgnored() throws IOException {
    start();
    CompletionsBackend backend =
        CompletionsBackend.connect(
            url(), TOKENIZER, EndpointSettings.builder().optMaxTokens(1).optEntropyTopK(2).build());
    assertEquals(64, backend.maxContext());
    assertTrue(backend.supports(BackendCapability.ENTROPIES));
    int[] trace = TOKENIZER.encode("1+2=3\n");
    String prompt = "Q: 1+2\n";
    TraceScore score = backend.score(List.of(new ScoreRequest(prompt, trace))).get(0);
    int length = 1 + TOKENIZER.encode(prompt).length + trace.length;
    float[] expected = new float[trace.length];
    for (int j = 0; j < trace.length; j++) {
      expected[j] = (float) (-(length - trace.length + j) / 10.0);
    }
    assertArrayEquals(expected, score.logProbs(), 1e-6f);
    float truncated = (float) -(0.5 * Math.log(0.5) + 0.25 * Math.log(0.25));
    for (float h : score.entropies()) {
      assertEquals(truncated, h, 1e-6f);
    }
    JsonNode request = requests.get(requests.size() - 1);
    assertEquals(2, request.get("logprobs").asInt());
    assertEquals(1, request.get("max_tokens").asInt());
    assertTrue(request.get("echo").asBoolean());
    assertEquals(TOKENIZER.bosId(), request.get("prompt").get(0).get(0).asInt());
  }

  @Test
  void withoutTopKOrExactEntropiesTheBackendHasNoEntropies() throws IOException {
    start();
    CompletionsBackend backend =
        CompletionsBackend.connect(
            url(), TOKENIZER, EndpointSettings.builder().optMaxTokens(1).build());
    assertFalse(backend.supports(BackendCapability.ENTROPIES));
    assertThrows(
        IllegalStateException.class,
        () -> backend.score(List.of(new ScoreRequest("Q: 1\n", TOKENIZER.encode("1\n")))));
  }

  @Test
  void transientServerErrorsAreRetriedAndBatchesSplitBySize() throws IOException {
    start();
    CompletionsBackend backend =
        CompletionsBackend.connect(
            url(),
            TOKENIZER,
            EndpointSettings.builder()
                .optMaxTokens(1)
                .optBatchSize(2)
                .optRetries(2)
                .optBackoff(Duration.ofMillis(5))
                .build());
    failuresLeft.set(2);
    List<ScoreRequest> batch = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      batch.add(new ScoreRequest("Q: " + i + "\n", TOKENIZER.encode(i + "\n")));
    }
    requests.clear();
    List<float[]> logProbs = backend.logProbs(batch);
    assertEquals(5, logProbs.size());
    // Two 503s, then three requests of 2, 2 and 1 sequences.
    assertEquals(5, requests.size());
    assertEquals(1, requests.get(requests.size() - 1).get("prompt").size());
  }
}
