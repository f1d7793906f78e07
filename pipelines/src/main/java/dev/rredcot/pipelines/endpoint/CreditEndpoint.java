package dev.rredcot.pipelines.endpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/credit}: the segment-level credit of one GRPO group, computed synchronously on
 * the served policy by {@link GroupCreditor} (the class the credit job's stages run), for a
 * training loop that does not run the job (TRL, verl, OpenRLHF). A {@link CreditRequest} in; per
 * trace its token ids, segment boundaries as token offsets and as code-point offsets into its text,
 * boundary values v_0..v_K, redistributed rewards r_k and per-token advantages out, or the step and
 * reason that refused it (the job's dead-letter reason).
 *
 * <p>A request that cannot be credited as sent gets 400 with {@code {"error": {"field", "reason",
 * "message"}}}; a body over {@code maxBodyBytes} gets 413 before it is parsed. It is registered on
 * the completions server by {@code rredcot serve}, which listens on loopback only.
 */
public final class CreditEndpoint implements HttpHandler {
  /** Where {@code rredcot serve} registers it. */
  public static final String PATH = "/v1/credit";

  /**
   * Default body limit: 16 MiB holds a group of 64 traces of 8k token ids with entropies, far more
   * than a GRPO group needs, while a runaway client cannot make the server buffer gigabytes.
   */
  public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(CreditEndpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PolicyBackend backend;
  private final String modelName;
  private final String modelLocation;
  private final String taskFamilies;
  private final long maxBodyBytes;
  private final RolloutContract contract;
  private final AtomicLong requests = new AtomicLong();

  /**
   * An endpoint crediting with {@code backend} (the caller keeps ownership).
   *
   * @param modelName the model's name in responses
   * @param modelLocation where the model was loaded from (the credit job's {@code --model})
   * @param taskFamilies the task families requests may name ({@code --task-families}; empty: the
   *     built-ins)
   * @param maxBodyBytes the largest body taken; larger ones get 413
   */
  public CreditEndpoint(
      PolicyBackend backend,
      String modelName,
      String modelLocation,
      String taskFamilies,
      long maxBodyBytes) {
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("maxBodyBytes must be > 0, got " + maxBodyBytes);
    }
    this.backend = backend;
    this.modelName = modelName;
    this.modelLocation = modelLocation;
    this.taskFamilies = taskFamilies;
    this.maxBodyBytes = maxBodyBytes;
    // The job's ingest contract with the served model's tokenizer: ids must be its text tokens and
    // spell the text, the reward must be the family's verdict (RolloutContract).
    Tokenizer tokenizer = backend.tokenizer();
    this.contract =
        RolloutContract.builder()
            .optTaskFamilies(taskFamilies)
            .optTokenizer(() -> Optional.of(tokenizer))
            .build();
    // Opened here, once: the contract opens it lazily, and requests run on several threads.
    this.contract.openTokenizer();
  }

  /** Requests answered so far (successfully or not). */
  public long requests() {
    return requests.get();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      long number = requests.incrementAndGet();
      if (!"POST".equals(exchange.getRequestMethod())) {
        send(exchange, 405, error("method", "method-not-allowed", "use POST"));
        return;
      }
      try {
        JsonNode body = readBody(exchange);
        send(exchange, 200, credit(body, "credit-" + number));
      } catch (BadCreditRequestException e) {
        send(exchange, e.status(), error(e.field(), e.reason(), e.getMessage()));
      } catch (RuntimeException e) {
        LOG.error("credit request failed", e);
        send(exchange, 500, error("", "internal-error", e.toString()));
      }
    }
  }

  /** The response to one request body. */
  ObjectNode credit(JsonNode body, String defaultGroupId) throws BadCreditRequestException {
    CreditRequest request =
        CreditRequest.read(
            body,
            new CreditRequest.Context(
                backend.tokenizer(), contract, taskFamilies, modelLocation, backend.version()),
            defaultGroupId);
    GroupCreditor creditor = request.settings().creditor();
    try {
      creditor.checkBackend(backend);
    } catch (RuntimeException e) {
      throw BadCreditRequestException.of(
          "options.value_estimator", "unsupported-by-model", e.getMessage());
    }
    TraceGroup group = request.group();
    List<CreditedTrace> credited = creditor.credit(backend, group);
    return response(request, group.statistics(), credited);
  }

  private ObjectNode response(
      CreditRequest request, GroupStatistics statistics, List<CreditedTrace> credited) {
    ObjectNode body = JSON.createObjectNode();
    body.put("object", "credit");
    body.put("model", modelName);
    body.put("group_id", request.groupId());
    body.put("credit_method", request.settings().advantages().rule().optionValue());
    body.put("value_estimator", request.settings().valueEstimator().optionValue());
    body.put("segmentation", request.settings().segmentation().strategy().optionValue());
    body.put("group_mean", statistics.mean());
    body.put("group_std", statistics.std());
    ArrayNode traces = body.putArray("traces");
    Tokenizer tokenizer = backend.tokenizer();
    for (int i = 0; i < credited.size(); i++) {
      CreditedTrace trace = credited.get(i);
      Rollout rollout = trace.trace().rollout();
      ObjectNode out = traces.addObject();
      out.put("index", i);
      out.put("reward", rollout.getReward());
      out.put("text", rollout.getText());
      ArrayNode ids = out.putArray("token_ids");
      rollout.getTokenIds().forEach(ids::add);
      if (!trace.succeeded()) {
        ObjectNode error = out.putObject("error");
        error.put("step", trace.failure().step().stage());
        error.put("reason", trace.failure().reason());
        error.put("message", trace.failure().errorMessage());
        continue;
      }
      int[] boundaries = trace.boundaries();
      ArrayNode tokenBoundaries = out.putArray("token_boundaries");
      ArrayNode charBoundaries = out.putArray("char_boundaries");
      int[] tokenIds = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
      for (int boundary : boundaries) {
        tokenBoundaries.add(boundary);
        charBoundaries.add(charOffset(tokenizer, tokenIds, boundary, rollout.getText()));
      }
      if (trace.trace().scoringPolicyVersion() != null) {
        out.put("scoring_policy_version", trace.trace().scoringPolicyVersion());
      } else {
        out.putNull("scoring_policy_version");
      }
      ArrayNode values = out.putArray("boundary_values");
      Arrays.stream(trace.values()).forEach(values::add);
      ArrayNode rewards = out.putArray("segment_rewards");
      Arrays.stream(trace.segmentRewards()).forEach(rewards::add);
      ArrayNode advantages = out.putArray("token_advantages");
      for (float advantage : trace.advantages()) {
        // As a double, the float's exact value: the client reads the trainer's number, not a
        // shortest decimal that only rounds back to it in float.
        advantages.add((double) advantage);
      }
    }
    return body;
  }

  /**
   * The code-point offset in {@code text} where token {@code boundary} starts: the length of the
   * longest common prefix of {@code text} and the first {@code boundary} tokens decoded. A prefix
   * that ends inside a character (a byte-level tokenizer) decodes to a replacement character, which
   * the common prefix leaves out, so the offset is the last whole character before the boundary.
   */
  static int charOffset(Tokenizer tokenizer, int[] tokenIds, int boundary, String text) {
    String prefix = tokenizer.decode(Arrays.copyOf(tokenIds, boundary));
    int common = 0;
    int limit = Math.min(prefix.length(), text.length());
    while (common < limit && prefix.charAt(common) == text.charAt(common)) {
      common++;
    }
    if (common > 0
        && common < text.length()
        && Character.isHighSurrogate(text.charAt(common - 1))
        && Character.isLowSurrogate(text.charAt(common))) {
      common--; // half a surrogate pair is no character
    }
    return text.codePointCount(0, common);
  }

  private JsonNode readBody(HttpExchange exchange) throws IOException, BadCreditRequestException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        throw BadCreditRequestException.of(
            "body", "bad-content-length", "Content-Length " + declared + " is not a number");
      }
      if (length > maxBodyBytes) {
        throw tooLarge(length + " bytes");
      }
    }
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      // One byte past the limit tells a body that is too long from one that fits exactly.
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, maxBodyBytes + 1));
    }
    if (bytes.length > maxBodyBytes) {
      throw tooLarge("more than " + maxBodyBytes + " bytes");
    }
    try {
      JsonNode body = JSON.readTree(bytes);
      if (body == null || body.isMissingNode()) {
        throw BadCreditRequestException.of("body", "not-json", "the body is empty");
      }
      return body;
    } catch (JsonProcessingException e) {
      throw BadCreditRequestException.of(
          "body", "not-json", "the body is not JSON: " + e.getOriginalMessage());
    }
  }

  private BadCreditRequestException tooLarge(String size) {
    return new BadCreditRequestException(
        413,
        "body",
        "body-too-large",
        "the body has " + size + ", more than the limit of " + maxBodyBytes + " bytes");
  }

  private static ObjectNode error(String field, String reason, String message) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("field", field);
    error.put("reason", reason);
    error.put("message", message);
    // OpenAI's error type, so clients written for that protocol read these errors too.
    error.put("type", reason.equals("internal-error") ? "server_error" : "invalid_request_error");
    return body;
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
