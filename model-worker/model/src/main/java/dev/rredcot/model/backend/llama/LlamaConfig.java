package dev.rredcot.model.backend.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Set;

/**
 * The shape of a Llama-family decoder: sizes, grouped-query heads, RMSNorm epsilon, rotary
 * embeddings (base, linear position scaling, pair convention), output tying and the q/k/v bias of
 * Qwen2.
 *
 * @param dim hidden size
 * @param hiddenDim SwiGLU inner size
 * @param layers decoder layers
 * @param heads query heads
 * @param kvHeads key/value heads (fewer than {@code heads}: grouped-query attention)
 * @param vocabSize rows of the embedding and of the output
 * @param maxContext most positions a sequence may have
 * @param normEps RMSNorm epsilon
 * @param ropeTheta rotary base
 * @param ropeScaling linear rotary scaling factor (positions are divided by it; 1 = none)
 * @param rope which dimensions rotate together
 * @param tiedOutput whether the output projection is the token embedding
 * @param qkvBias whether the q, k and v projections have biases (Qwen2)
 */
public record LlamaConfig(
    int dim,
    int hiddenDim,
    int layers,
    int heads,
    int kvHeads,
    int vocabSize,
    int maxContext,
    double normEps,
    double ropeTheta,
    double ropeScaling,
    RopeConvention rope,
    boolean tiedOutput,
    boolean qkvBias) {

  /** Which pairs of a head's dimensions one rotary frequency turns. */
  public enum RopeConvention {
    /** Dimensions (2i, 2i+1): llama2.c and Meta's original checkpoints. */
    INTERLEAVED,
    /** Dimensions (i, i + headDim/2): Hugging Face's rotate_half, with q/k rows permuted. */
    HALF
  }

  /**
   * Name of the config field that records the rotary convention when it is not Hugging Face's
   * (absent means {@link RopeConvention#HALF}); the exporter permutes instead, so HF tools can read
   * what it writes.
   */
  public static final String ROPE_CONVENTION_FIELD = "rredcot_rope_convention";

  private static final Set<String> MODEL_TYPES = Set.of("llama", "qwen2");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Validates the sizes. */
  public LlamaConfig {
    if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0) {
      throw new IllegalArgumentException("sizes must be positive");
    }
    if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
      throw new IllegalArgumentException(
          "dim "
              + dim
              + " must split into "
              + heads
              + " heads of even size, and heads into "
              + kvHeads
              + " key/value groups");
    }
  }

  /** Size of one head. */
  public int headDim() {
    return dim / heads;
  }

  /** Size of the key and value projections. */
  public int kvDim() {
    return kvHeads * headDim();
  }

  /**
   * Reads a Hugging Face {@code config.json} of a Llama or Qwen2 model.
   *
   * @throws IOException naming the field when a value is missing or not supported
   */
  public static LlamaConfig fromHuggingFace(JsonNode config) throws IOException {
    String type = config.path("model_type").asText("");
    if (!MODEL_TYPES.contains(type)) {
      throw unsupported("model_type", config.get("model_type"), "one of " + MODEL_TYPES);
    }
    JsonNode act = config.get("hidden_act");
    if (act != null && !act.asText().equals("silu")) {
      throw unsupported("hidden_act", act, "silu");
    }
    if (config.path("mlp_bias").asBoolean(false)) {
      throw unsupported("mlp_bias", config.get("mlp_bias"), "false");
    }
    if (config.path("use_sliding_window").asBoolean(false)) {
      throw unsupported("use_sliding_window", config.get("use_sliding_window"), "false");
    }
    int dim = required(config, "hidden_size");
    int heads = required(config, "num_attention_heads");
    JsonNode headDim = config.get("head_dim");
    if (headDim != null && !headDim.isNull() && headDim.asInt() * heads != dim) {
      throw unsupported("head_dim", headDim, "hidden_size / num_attention_heads = " + dim / heads);
    }
    double scaling = 1;
    JsonNode ropeScaling = config.get("rope_scaling");
    if (ropeScaling != null && !ropeScaling.isNull()) {
      String kind = ropeScaling.path("rope_type").asText(ropeScaling.path("type").asText(""));
      if (!kind.equals("linear") && !kind.equals("default")) {
        throw unsupported(
            "rope_scaling.rope_type", ropeScaling, "linear or default (no scaling) rope_scaling");
      }
      scaling = kind.equals("linear") ? ropeScaling.path("factor").asDouble(1) : 1;
    }
    RopeConvention rope = RopeConvention.HALF;
    JsonNode convention = config.get(ROPE_CONVENTION_FIELD);
    if (convention != null) {
      try {
        rope = RopeConvention.valueOf(convention.asText().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw unsupported(ROPE_CONVENTION_FIELD, convention, "interleaved or half");
      }
    }
    // Qwen2 always has q/k/v biases; Llama has them when attention_bias is set (and then on o too,
    // which this implementation does not have).
    boolean qkvBias = type.equals("qwen2");
    if (type.equals("llama") && config.path("attention_bias").asBoolean(false)) {
      throw unsupported("attention_bias", config.get("attention_bias"), "false for llama");
    }
    try {
      return new LlamaConfig(
          dim,
          required(config, "intermediate_size"),
          required(config, "num_hidden_layers"),
          heads,
          config.path("num_key_value_heads").asInt(heads),
          required(config, "vocab_size"),
          required(config, "max_position_embeddings"),
          config.path("rms_norm_eps").asDouble(1e-6),
          config.path("rope_theta").asDouble(10000),
          scaling,
          rope,
          config.path("tie_word_embeddings").asBoolean(false),
          qkvBias);
    } catch (IllegalArgumentException e) {
      throw new IOException("config.json: " + e.getMessage(), e);
    }
  }

  /**
   * This configuration as a Hugging Face {@code config.json}: {@code model_type} llama, or qwen2
   * when the attention has q/k/v biases (Qwen2's layout; Llama's {@code attention_bias} would put
   * one on the output projection too).
   */
  public ObjectNode toHuggingFace() {
    ObjectNode config = JSON.createObjectNode();
    config.putArray("architectures").add(qkvBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
    config.put("model_type", qkvBias ? "qwen2" : "llama");
    config.put("hidden_size", dim);
    config.put("intermediate_size", hiddenDim);
    config.put("num_hidden_layers", layers);
    config.put("num_attention_heads", heads);
    config.put("num_key_value_heads", kvHeads);
    config.put("vocab_size", vocabSize);
    config.put("max_position_embeddings", maxContext);
    config.put("rms_norm_eps", normEps);
    config.put("rope_theta", ropeTheta);
    if (ropeScaling != 1) {
      config.putObject("rope_scaling").put("rope_type", "linear").put("factor", ropeScaling);
    } else {
      config.putNull("rope_scaling");
    }
    if (rope != RopeConvention.HALF) {
      config.put(ROPE_CONVENTION_FIELD, rope.name().toLowerCase(java.util.Locale.ROOT));
    }
    config.put("tie_word_embeddings", tiedOutput);
    config.put("hidden_act", "silu");
    if (!qkvBias) {
      config.put("attention_bias", false);
    }
    config.put("torch_dtype", "float32");
    return config;
  }

  /** The same configuration with another rotary convention. */
  public LlamaConfig withRope(RopeConvention convention) {
    return new LlamaConfig(
        dim,
        hiddenDim,
        layers,
        heads,
        kvHeads,
        vocabSize,
        maxContext,
        normEps,
        ropeTheta,
        ropeScaling,
        convention,
        tiedOutput,
        qkvBias);
  }

  private static int required(JsonNode config, String field) throws IOException {
    JsonNode value = config.get(field);
    if (value == null || !value.canConvertToInt() || value.asInt() <= 0) {
      throw new IOException(
          "config.json: field " + field + " is missing or not a positive integer: " + value);
    }
    return value.asInt();
  }

  private static IOException unsupported(String field, JsonNode value, String supported) {
    return new IOException(
        "config.json: unsupported "
            + field
            + " = "
            + value
            + " (this Llama implementation supports "
            + supported
            + ")");
  }
}
