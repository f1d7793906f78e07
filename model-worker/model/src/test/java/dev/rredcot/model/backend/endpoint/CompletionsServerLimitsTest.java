package dev.rredcot.model.backend.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code rredcot serve}'s server refuses a body over its byte limit with 413 and a prompt over its
 * token limit with 400, each with a JSON error, and still answers requests within both.
 */
class CompletionsServerLimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BYTES = 2_000;
  private static final int MAX_PROMPT_TOKENS = 20;

  private static Policy policy;
  private static CompletionsServer server;

  @BeforeAll
  static void serve() throws IOException {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    policy =
        Policy.create(
            ModelConfig.builder()
                .setVocabSize(tokenizer.vocabSize())
                .optDModel(16)
                .optHeads(2)
                .optLayers(1)
                .optDFF(32)
                .optMaxContext(64)
                .build(),
            tokenizer,
            3);
    server =
        CompletionsServer.start(
            policy, "limited", 0, new CompletionsServer.Limits(MAX_BYTES, MAX_PROMPT_TOKENS));
  }

  @AfterAll
  static void stop() {
    server.close();
    policy.close();
  }

  private record Answer(int status, JsonNode body) {}

  /** POSTs {@code body}; {@code chunked} sends no Content-Length, so the server must count. */
  private static Answer post(String body, boolean chunked) throws IOException {
    HttpURLConnection connection =
        (HttpURLConnection) URI.create(server.url() + "/v1/completions").toURL().openConnection();
    connection.setRequestMethod("POST");
    connection.setDoOutput(true);
    connection.setRequestProperty("Content-Type", "application/json");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (chunked) {
      connection.setChunkedStreamingMode(256);
    } else {
      connection.setFixedLengthStreamingMode(bytes.length);
    }
    try (OutputStream out = connection.getOutputStream()) {
      out.write(bytes);
    } catch (IOException e) {
      // The server may answer 413 and close before the whole body is sent; its answer still counts.
    }
    int status = connection.getResponseCode();
    try (InputStream in =
        status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
      return new Answer(status, JSON.readTree(in));
    }
  }

  private static String request(String prompt) {
    return "{\"prompt\": \"" + prompt + "\", \"echo\": true, \"max_tokens\": 0, \"logprobs\": 0}";
  }

  @Test
  void aPromptWithinBothLimitsIsScored() throws IOException {
    Answer answer = post(request("Q: 1+2\\n"), false);
    assertEquals(200, answer.status(), answer.body().toString());
    assertEquals(1, answer.body().path("choices").size());
  }

  @Test
  void aBodyOverTheByteLimitIs413WithAJsonError() throws IOException {
    String padding = " ".repeat(MAX_BYTES);
    for (boolean chunked : new boolean[] {false, true}) {
      Answer answer = post(request("Q: 1+2\\n") + padding, chunked);
      assertEquals(413, answer.status(), "chunked " + chunked);
      assertTrue(
          answer.body().path("error").path("message").asText().contains("2000 bytes"),
          answer.body().toString());
    }
  }

  @Test
  void aPromptOverTheTokenLimitIs400WithAJsonError() throws IOException {
    Answer answer = post(request("Q: " + "1+".repeat(20) + "1\\n"), false);
    assertEquals(400, answer.status());
    assertEquals("invalid_request_error", answer.body().path("error").path("type").asText());
    assertTrue(
        answer.body().path("error").path("message").asText().contains("limit of 20 tokens"),
        answer.body().toString());
  }
}
