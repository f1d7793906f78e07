package dev.rredcot.model.backend.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A policy served by an OpenAI-compatible completions server (vLLM, SGLang, {@code rredcot serve}):
 * log-probabilities are the server's prompt log-probabilities ({@code /v1/completions} with {@code
 * echo: true}, {@code logprobs}, {@code max_tokens} 0 or 1), sent in batches of {@link
 * EndpointSettings#batchSize()} sequences, with a timeout and retries with exponential backoff. A
 * server that still fails raises {@link ModelServerUnavailableException}.
 *
 * <p>Sequences are {@code [bos] + tokens(prompt) + trace} in the ids of the local tokenizer (the
 * policy's, which the rollouts were written with). With token-id prompts the server scores exactly
 * those ids; with text prompts it tokenizes the text itself, and a sequence whose server token
 * count differs from the local one is refused rather than misaligned.
 *
 * <p>Entropies: exact when the server returns them ({@code rredcot serve} adds {@code
 * rredcot_entropies}); else, with {@link EndpointSettings#entropyTopK()} k > 0, {@code -Σ p log p}
 * over the top-k log-probabilities of each position, a lower bound that is exact when k covers the
 * vocabulary; else the backend does not declare {@link BackendCapability#ENTROPIES}. No generation,
 * KV reuse or gradients: values come from {@link dev.rredcot.model.backend.BackendValues}.
 */
public final class CompletionsBackend implements PolicyBackend {
  private static final Logger LOG = LoggerFactory.getLogger(CompletionsBackend.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final Tokenizer tokenizer;
  private final EndpointSettings settings;
  private final HttpClient client;
  private final String model;
  private final int maxContext;
  private final long version;
  private final boolean exactEntropies;
  private final AtomicLong forwardTokens = new AtomicLong();

  private CompletionsBackend(
      URI base,
      Tokenizer tokenizer,
      EndpointSettings settings,
      HttpClient client,
      String model,
      int maxContext,
      long version,
      boolean exactEntropies) {
    this.base = base;
    this.tokenizer = tokenizer;
    this.settings = settings;
    this.client = client;
    this.model = model;
    this.maxContext = maxContext;
    this.version = version;
    this.exactEntropies = exactEntropies;
  }

  /**
   * Connects to the server at {@code url} (with or without a trailing {@code /v1}) and reads its
   * model list: the model name, {@code max_model_len} and, from {@code rredcot serve}, the policy
   * version and whether it gives exact entropies.
   *
   * @throws IllegalArgumentException when {@code url} is plain http to a host that is not loopback
   *     and the settings do not allow it ({@link ModelServerUrls})
   * @throws ModelServerUnavailableException when the server does not answer
   * @throws IOException when its answer is not a model list, or gives no context length and none is
   *     configured
   */
  public static CompletionsBackend connect(URI url, Tokenizer tokenizer, EndpointSettings settings)
      throws IOException {
    ModelServerUrls.requireAllowed(url, settings.allowInsecureHttp());
    URI base = baseOf(url);
    HttpClient client = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
    CompletionsBackend probe =
        new CompletionsBackend(base, tokenizer, settings, client, "", 0, 0, false);
    JsonNode models = probe.call("GET", "/v1/models", null);
    JsonNode data = models.path("data");
    JsonNode entry = null;
    for (JsonNode candidate : data) {
      if (settings.modelName().isEmpty()
          || settings.modelName().equals(candidate.path("id").asText())) {
        entry = candidate;
        break;
      }
    }
    if (entry == null) {
      throw new IOException(
          base
              + "/v1/models lists no model"
              + (settings.modelName().isEmpty() ? "" : " called " + settings.modelName())
              + ": "
              + models);
    }
    int maxContext =
        settings.maxContext() > 0 ? settings.maxContext() : entry.path("max_model_len").asInt(0);
    if (maxContext <= 0) {
      throw new IOException(
          base + " does not say its max_model_len: give the context length explicitly");
    }
    CompletionsBackend backend =
        new CompletionsBackend(
            base,
            tokenizer,
            settings,
            client,
            entry.path("id").asText(),
            maxContext,
            entry.path("rredcot_version").asLong(0),
            entry.path("rredcot_entropies").asBoolean(false));
    LOG.info(
        "policy backend: model {} at {} (max context {}, version {}, capabilities {})",
        backend.model,
        base,
        maxContext,
        backend.version,
        backend.capabilities());
    return backend;
  }

  private static URI baseOf(URI url) {
    String text = url.toString();
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.endsWith("/v1")) {
      text = text.substring(0, text.length() - 3);
    }
    return URI.create(text);
  }

  @Override
  public String description() {
    return "endpoint " + base + " (" + model + ")";
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return exactEntropies || settings.entropyTopK() > 0
        ? EnumSet.of(BackendCapability.ENTROPIES)
        : EnumSet.noneOf(BackendCapability.class);
  }

  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public int maxContext() {
    return maxContext;
  }

  @Override
  public long forwardTokens() {
    return forwardTokens.get();
  }

  @Override
  public List<float[]> logProbs(List<ScoreRequest> batch) {
    List<float[]> out = new ArrayList<>();
    for (TraceScore score : scoreAll(batch, false)) {
      out.add(score.logProbs());
    }
    return out;
  }

  @Override
  public List<TraceScore> score(List<ScoreRequest> batch) {
    require(BackendCapability.ENTROPIES, "per-token entropies");
    return scoreAll(batch, true);
  }

  private List<TraceScore> scoreAll(List<ScoreRequest> batch, boolean entropies) {
    List<TraceScore> out = new ArrayList<>();
    for (int start = 0; start < batch.size(); start += settings.batchSize()) {
      out.addAll(
          scoreChunk(
              batch.subList(start, Math.min(batch.size(), start + settings.batchSize())),
              entropies));
    }
    return out;
  }

  private List<TraceScore> scoreChunk(List<ScoreRequest> chunk, boolean entropies) {
    List<int[]> sequences = new ArrayList<>();
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    ArrayNode prompts = body.putArray("prompt");
    for (ScoreRequest r : chunk) {
      if (r.traceTokens().length == 0) {
        throw new IllegalArgumentException("cannot score an empty trace");
      }
      int[] promptTokens = tokenizer.encode(r.prompt());
      int[] sequence = new int[1 + promptTokens.length + r.traceTokens().length];
      sequence[0] = tokenizer.bosId();
      System.arraycopy(promptTokens, 0, sequence, 1, promptTokens.length);
      System.arraycopy(
          r.traceTokens(), 0, sequence, 1 + promptTokens.length, r.traceTokens().length);
      if (sequence.length > maxContext) {
        throw new IllegalArgumentException(
            "sequence of " + sequence.length + " tokens exceeds the server's " + maxContext);
      }
      sequences.add(sequence);
      if (settings.tokenIdPrompts()) {
        ArrayNode ids = prompts.addArray();
        for (int id : sequence) {
          ids.add(id);
        }
      } else {
        // The server adds its own bos to a text prompt.
        prompts.add(r.prompt() + tokenizer.decode(r.traceTokens()));
      }
    }
    body.put("echo", true);
    body.put("logprobs", entropies && !exactEntropies ? settings.entropyTopK() : 1);
    body.put("max_tokens", settings.maxTokens());
    body.put("temperature", 0.0);
    JsonNode response = call("POST", "/v1/completions", body);
    JsonNode[] choices = new JsonNode[chunk.size()];
    for (JsonNode choice : response.path("choices")) {
      int index = choice.path("index").asInt(-1);
      if (index < 0 || index >= choices.length) {
        throw new IllegalStateException("model server returned choice index " + index);
      }
      choices[index] = choice;
    }
    List<TraceScore> out = new ArrayList<>();
    long tokens = 0;
    for (int i = 0; i < chunk.size(); i++) {
      if (choices[i] == null) {
        throw new IllegalStateException("model server returned no choice " + i);
      }
      int length = sequences.get(i).length;
      int traceLength = chunk.get(i).traceTokens().length;
      JsonNode logprobs = choices[i].path("logprobs");
      JsonNode tokenLogprobs = logprobs.path("token_logprobs");
      int returned = tokenLogprobs.size() - settings.maxTokens();
      if (returned != length) {
        throw new IllegalStateException(
            "model server scored "
                + returned
                + " prompt tokens where the local tokenizer has "
                + length
                + (settings.tokenIdPrompts()
                    ? ""
                    : ": its tokenization differs, send token ids instead"));
      }
      float[] lp = new float[traceLength];
      float[] h = entropies ? new float[traceLength] : null;
      for (int j = 0; j < traceLength; j++) {
        int position = length - traceLength + j;
        lp[j] = (float) number(tokenLogprobs.get(position), "token_logprobs", position);
        if (entropies) {
          h[j] = entropy(logprobs, position);
        }
      }
      tokens += length;
      out.add(new TraceScore(lp, h));
    }
    forwardTokens.addAndGet(tokens);
    return out;
  }

  private float entropy(JsonNode logprobs, int position) {
    if (exactEntropies) {
      return (float)
          number(logprobs.path("rredcot_entropies").get(position), "entropies", position);
    }
    JsonNode top = logprobs.path("top_logprobs").get(position);
    if (top == null || !top.isObject() || top.size() == 0) {
      throw new IllegalStateException("model server gave no top_logprobs at position " + position);
    }
    double h = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = top.fields(); it.hasNext(); ) {
      double lp = it.next().getValue().asDouble();
      h -= Math.exp(lp) * lp;
    }
    return (float) h;
  }

  private static double number(JsonNode node, String field, int position) {
    if (node == null || !node.isNumber()) {
      throw new IllegalStateException(
          "model server gave no " + field + " number at position " + position + ": " + node);
    }
    return node.asDouble();
  }

  /**
   * One request with retries: connection errors, timeouts, HTTP 429 and 5xx are retried after
   * {@code backoff · 2^attempt}; other HTTP errors fail at once (the request itself is wrong).
   */
  private JsonNode call(String method, String path, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(settings.timeout());
    if (body == null) {
      request.GET();
    } else {
      request
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    }
    String lastError = "";
    Throwable lastCause = null;
    for (int attempt = 0; attempt <= settings.retries(); attempt++) {
      if (attempt > 0) {
        sleep(settings.backoff().toMillis() << Math.min(attempt - 1, 20));
      }
      try {
        HttpResponse<String> response =
            client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status == 200) {
          return JSON.readTree(response.body());
        }
        lastError = "HTTP " + status + ": " + abbreviate(response.body());
        if (status != 429 && status < 500) {
          throw new IllegalStateException(
              "model server refused " + method + " " + path + ": " + lastError);
        }
      } catch (IOException e) {
        lastError = e.toString();
        lastCause = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelServerUnavailableException(base + path + ": interrupted", e);
      }
      LOG.warn("{} {}{} failed (attempt {}): {}", method, base, path, attempt + 1, lastError);
    }
    throw new ModelServerUnavailableException(
        base + path + " failed " + (settings.retries() + 1) + " times, last: " + lastError,
        lastCause);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelServerUnavailableException("interrupted while backing off", e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  /** Nothing to release: the HTTP client's connections close with it. */
  @Override
  public void close() {}
}
