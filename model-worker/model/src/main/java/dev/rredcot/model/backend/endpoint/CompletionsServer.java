package dev.rredcot.model.backend.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link PolicyBackend} on 127.0.0.1 over the scoring part of the OpenAI completions
 * protocol, so {@link CompletionsBackend} can be used (and tested) against any backend: {@code GET
 * /v1/models} and {@code POST /v1/completions} with {@code echo: true} and {@code max_tokens: 0}
 * (prompt log-probabilities; generation is not served).
 *
 * <p>A prompt is a list of token ids that starts with the tokenizer's bos (scored as given), a list
 * of such lists, or text (scored as {@code [bos] + tokens(text)}). Beyond the protocol, the model
 * entry carries {@code rredcot_version} and {@code rredcot_entropies}, and with a backend that has
 * entropies each choice's {@code logprobs} carries the exact {@code rredcot_entropies}; {@code
 * top_logprobs} is null.
 *
 * <p>Requests are bounded ({@link Limits}): a body larger than {@link Limits#maxRequestBytes()} is
 * refused with 413 before it is parsed, a prompt longer than {@link Limits#maxPromptTokens()} (by
 * default the model's context) with 400; both with an OpenAI-style JSON error.
 */
public final class CompletionsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CompletionsServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PolicyBackend backend;
  private final String modelName;
  private final Limits limits;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicLong requests = new AtomicLong();

  private CompletionsServer(
      PolicyBackend backend,
      String modelName,
      Limits limits,
      HttpServer server,
      ExecutorService executor) {
    this.backend = backend;
    this.modelName = modelName;
    this.limits = limits;
    this.server = server;
    this.executor = executor;
  }

  /**
   * How large a request may be.
   *
   * @param maxRequestBytes most bytes of a request body (413 beyond)
   * @param maxPromptTokens most tokens of one prompt, bos included (400 beyond)
   */
  public record Limits(long maxRequestBytes, int maxPromptTokens) {
    /** Default {@link #maxRequestBytes}: 1 MiB, like the project's Kafka record limit. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

    /** Validates that both are positive. */
    public Limits {
      if (maxRequestBytes <= 0 || maxPromptTokens <= 0) {
        throw new IllegalArgumentException(
            "request limits must be positive, got "
                + maxRequestBytes
                + " bytes and "
                + maxPromptTokens
                + " prompt tokens");
      }
    }

    /** 1 MiB bodies, prompts up to {@code backend}'s context. */
    public static Limits defaults(PolicyBackend backend) {
      return new Limits(DEFAULT_MAX_REQUEST_BYTES, backend.maxContext());
    }
  }

  /**
   * Starts serving {@code backend} as model {@code modelName} on 127.0.0.1:{@code port} (0: a free
   * port) with the {@link Limits#defaults default limits}. The caller keeps ownership of the
   * backend.
   */
  public static CompletionsServer start(PolicyBackend backend, String modelName, int port)
      throws IOException {
    return start(backend, modelName, port, Limits.defaults(backend));
  }

  /**
   * Starts serving {@code backend} with {@code limits} (see {@link #start(PolicyBackend, String,
   * int)}).
   */
  public static CompletionsServer start(
      PolicyBackend backend, String modelName, int port, Limits limits) throws IOException {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    ExecutorService executor = Executors.newFixedThreadPool(2);
    CompletionsServer server = new CompletionsServer(backend, modelName, limits, http, executor);
    http.createContext("/v1/models", server::models);
    http.createContext("/v1/completions", server::completions);
    http.setExecutor(executor);
    http.start();
    LOG.info("serving {} as {} on {}", backend.description(), modelName, server.url());
    return server;
  }

  /** The port listened on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Base URL, e.g. {@code http://127.0.0.1:8000}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Serves {@code handler} at {@code path} on this server's loopback port and threads, beside the
   * completions protocol: {@code rredcot serve} adds the credit endpoint, which lives in a module
   * above this one.
   */
  public void addContext(String path, HttpHandler handler) {
    server.createContext(path, handler);
  }

  /** Completions requests answered so far (successfully or not). */
  public long requests() {
    return requests.get();
  }

  private void models(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        send(exchange, 405, error("use GET"));
        return;
      }
      ObjectNode body = JSON.createObjectNode();
      body.put("object", "list");
      ObjectNode entry = body.putArray("data").addObject();
      entry.put("id", modelName);
      entry.put("object", "model");
      entry.put("owned_by", "rredcot");
      entry.put("max_model_len", backend.maxContext());
      entry.put("rredcot_version", backend.version());
      entry.put("rredcot_entropies", backend.supports(BackendCapability.ENTROPIES));
      send(exchange, 200, body);
    }
  }

  private void completions(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      if (!"POST".equals(exchange.getRequestMethod())) {
        send(exchange, 405, error("use POST"));
        return;
      }
      String declared = exchange.getRequestHeaders().getFirst("Content-Length");
      if (declared != null && declaredLength(declared) > limits.maxRequestBytes()) {
        // Refused before reading: a client must not make the server buffer what it will refuse.
        send(exchange, 413, tooLarge());
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxRequestBytes() + 1));
      }
      if (body.length > limits.maxRequestBytes()) {
        send(exchange, 413, tooLarge());
        return;
      }
      JsonNode request;
      try {
        request = JSON.readTree(body);
      } catch (IOException e) {
        send(exchange, 400, error("body is not JSON: " + e.getMessage()));
        return;
      }
      if (request == null || !request.isObject()) {
        send(exchange, 400, error("body must be a JSON object"));
        return;
      }
      try {
        send(exchange, 200, complete(request));
      } catch (IllegalArgumentException | UnmappableTextException e) {
        send(exchange, 400, error(e.getMessage()));
      } catch (RuntimeException e) {
        LOG.error("completions request failed", e);
        send(exchange, 500, error(e.toString()));
      }
    }
  }

  private ObjectNode complete(JsonNode request) {
    if (!request.path("echo").asBoolean(false)) {
      throw new IllegalArgumentException("this server only scores prompts: set echo to true");
    }
    if (request.path("max_tokens").asInt(16) != 0) {
      throw new IllegalArgumentException(
          "this server only scores prompts: set max_tokens to 0 (generation is not served)");
    }
    List<int[]> sequences = prompts(request.path("prompt"));
    for (int[] sequence : sequences) {
      if (sequence.length > limits.maxPromptTokens()) {
        throw new IllegalArgumentException(
            "a prompt of "
                + sequence.length
                + " tokens is longer than this server's limit of "
                + limits.maxPromptTokens()
                + " tokens");
      }
    }
    boolean withEntropies =
        request.path("logprobs").asInt(0) > 0 && backend.supports(BackendCapability.ENTROPIES);
    Tokenizer tokenizer = backend.tokenizer();
    List<ScoreRequest> batch = new ArrayList<>();
    for (int[] sequence : sequences) {
      if (sequence.length < 2 || sequence[0] != tokenizer.bosId()) {
        throw new IllegalArgumentException(
            "a token-id prompt must start with bos ("
                + tokenizer.bosId()
                + ") and have a token after it");
      }
      batch.add(new ScoreRequest("", Arrays.copyOfRange(sequence, 1, sequence.length)));
    }
    List<TraceScore> scores;
    if (withEntropies) {
      scores = backend.score(batch);
    } else {
      scores = new ArrayList<>();
      for (float[] lp : backend.logProbs(batch)) {
        scores.add(new TraceScore(lp, null));
      }
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("id", "cmpl-" + requests.get());
    body.put("object", "text_completion");
    body.put("created", System.currentTimeMillis() / 1000);
    body.put("model", modelName);
    ArrayNode choices = body.putArray("choices");
    long promptTokens = 0;
    for (int i = 0; i < sequences.size(); i++) {
      int[] sequence = sequences.get(i);
      TraceScore score = scores.get(i);
      ObjectNode choice = choices.addObject();
      choice.put("index", i);
      choice.put("text", tokenizer.decode(sequence));
      choice.put("finish_reason", "length");
      ObjectNode logprobs = choice.putObject("logprobs");
      ArrayNode tokens = logprobs.putArray("tokens");
      ArrayNode tokenLogprobs = logprobs.putArray("token_logprobs");
      ArrayNode entropies = withEntropies ? logprobs.putArray("rredcot_entropies") : null;
      for (int j = 0; j < sequence.length; j++) {
        tokens.add(tokenizer.decode(new int[] {sequence[j]}));
        if (j == 0) {
          tokenLogprobs.addNull();
          if (entropies != null) {
            entropies.addNull();
          }
        } else {
          tokenLogprobs.add(score.logProbs()[j - 1]);
          if (entropies != null) {
            entropies.add(score.entropies()[j - 1]);
          }
        }
      }
      logprobs.putNull("top_logprobs");
      promptTokens += sequence.length;
    }
    ObjectNode usage = body.putObject("usage");
    usage.put("prompt_tokens", promptTokens);
    usage.put("completion_tokens", 0);
    usage.put("total_tokens", promptTokens);
    return body;
  }

  /** The prompts of a request as token-id sequences (text gets bos and the backend's tokens). */
  private List<int[]> prompts(JsonNode prompt) {
    List<int[]> out = new ArrayList<>();
    if (prompt.isTextual()) {
      out.add(fromText(prompt.asText()));
    } else if (prompt.isArray() && prompt.size() > 0 && prompt.get(0).isInt()) {
      out.add(ids(prompt));
    } else if (prompt.isArray() && prompt.size() > 0) {
      for (JsonNode element : prompt) {
        out.add(element.isTextual() ? fromText(element.asText()) : ids(element));
      }
    } else {
      throw new IllegalArgumentException("prompt must be text, token ids or a list of them");
    }
    return out;
  }

  private int[] fromText(String text) {
    int[] tokens = backend.tokenizer().encode(text);
    int[] sequence = new int[tokens.length + 1];
    sequence[0] = backend.tokenizer().bosId();
    System.arraycopy(tokens, 0, sequence, 1, tokens.length);
    return sequence;
  }

  private int[] ids(JsonNode array) {
    if (!array.isArray()) {
      throw new IllegalArgumentException("prompt element is neither text nor token ids");
    }
    int vocab = backend.tokenizer().vocabSize();
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      if (!array.get(i).isInt() || array.get(i).asInt() < 0 || array.get(i).asInt() >= vocab) {
        throw new IllegalArgumentException(
            "token id " + array.get(i) + " is not an id of the model's vocabulary of " + vocab);
      }
      ids[i] = array.get(i).asInt();
    }
    return ids;
  }

  private ObjectNode tooLarge() {
    return error(
        "request body larger than this server's limit of " + limits.maxRequestBytes() + " bytes");
  }

  /** A Content-Length header's value; an unreadable one counts as too large. */
  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.strip());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static ObjectNode error(String message) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("message", message);
    error.put("type", "invalid_request_error");
    return body;
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops listening (waiting up to a second for requests in flight); the backend stays open. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
