package dev.rredcot.model.backend.llama;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Llama-family model's configuration and float32 weights, named as in Hugging Face checkpoints
 * ({@code model.layers.0.self_attn.q_proj.weight}, PyTorch's [out, in] layout), whatever file they
 * came from; {@link #validate} checks every tensor the configuration needs is there with its shape.
 *
 * @param config the architecture
 * @param tensors weights by Hugging Face name
 */
public record LlamaCheckpoint(LlamaConfig config, Map<String, HostTensor> tensors) {

  /** The token embedding [vocab, dim]. */
  public static final String EMBEDDING = "model.embed_tokens.weight";

  /** The final RMSNorm weights [dim]. */
  public static final String FINAL_NORM = "model.norm.weight";

  /** The output projection [vocab, dim] of untied models. */
  public static final String OUTPUT = "lm_head.weight";

  /** Copies the map (in insertion order). */
  public LlamaCheckpoint {
    tensors = new LinkedHashMap<>(tensors);
  }

  /** The name of a per-layer tensor, e.g. {@code layer(0, "mlp.gate_proj.weight")}. */
  public static String layer(int layer, String suffix) {
    return "model.layers." + layer + "." + suffix;
  }

  /** The tensor called {@code name}; fails with the name when it is missing. */
  public HostTensor tensor(String name) throws IOException {
    HostTensor t = tensors.get(name);
    if (t == null) {
      throw new IOException("the checkpoint has no tensor " + name);
    }
    return t;
  }

  /**
   * Checks that every tensor the configuration needs is present with its shape.
   *
   * @throws IOException naming the first missing or misshapen tensor
   */
  public LlamaCheckpoint validate() throws IOException {
    LlamaConfig c = config;
    expect(EMBEDDING, c.vocabSize(), c.dim());
    expect(FINAL_NORM, c.dim());
    if (!c.tiedOutput()) {
      expect(OUTPUT, c.vocabSize(), c.dim());
    }
    for (int l = 0; l < c.layers(); l++) {
      expect(layer(l, "input_layernorm.weight"), c.dim());
      expect(layer(l, "post_attention_layernorm.weight"), c.dim());
      expect(layer(l, "self_attn.q_proj.weight"), c.dim(), c.dim());
      expect(layer(l, "self_attn.k_proj.weight"), c.kvDim(), c.dim());
      expect(layer(l, "self_attn.v_proj.weight"), c.kvDim(), c.dim());
      expect(layer(l, "self_attn.o_proj.weight"), c.dim(), c.dim());
      expect(layer(l, "mlp.gate_proj.weight"), c.hiddenDim(), c.dim());
      expect(layer(l, "mlp.up_proj.weight"), c.hiddenDim(), c.dim());
      expect(layer(l, "mlp.down_proj.weight"), c.dim(), c.hiddenDim());
      if (c.qkvBias()) {
        expect(layer(l, "self_attn.q_proj.bias"), c.dim());
        expect(layer(l, "self_attn.k_proj.bias"), c.kvDim());
        expect(layer(l, "self_attn.v_proj.bias"), c.kvDim());
      }
    }
    return this;
  }

  private void expect(String name, long... shape) throws IOException {
    HostTensor t = tensor(name);
    if (!t.hasShape(shape)) {
      throw new IOException(
          "tensor "
              + name
              + " has shape "
              + Arrays.toString(t.shape())
              + ", the configuration needs "
              + Arrays.toString(shape));
    }
  }

  /**
   * The same model with Hugging Face's rotary convention: the rows of every q and k projection (and
   * bias) permuted within each head from interleaved pairs (2i, 2i+1) to halves (i, i + d/2), as
   * Hugging Face's {@code convert_llama_weights_to_hf.py} does. Scores are unchanged.
   */
  public LlamaCheckpoint withHalfRope() {
    if (config.rope() == LlamaConfig.RopeConvention.HALF) {
      return this;
    }
    Map<String, HostTensor> permuted = new LinkedHashMap<>(tensors);
    for (int l = 0; l < config.layers(); l++) {
      for (String proj : new String[] {"q_proj", "k_proj"}) {
        int heads = proj.equals("q_proj") ? config.heads() : config.kvHeads();
        for (String kind : new String[] {"weight", "bias"}) {
          String name = layer(l, "self_attn." + proj + "." + kind);
          HostTensor t = tensors.get(name);
          if (t != null) {
            permuted.put(name, permuteRows(t, heads, config.headDim()));
          }
        }
      }
    }
    return new LlamaCheckpoint(config.withRope(LlamaConfig.RopeConvention.HALF), permuted);
  }

  private static HostTensor permuteRows(HostTensor t, int heads, int headDim) {
    int rowLength = t.shape().length == 1 ? 1 : (int) t.shape()[1];
    float[] in = t.values();
    float[] out = new float[in.length];
    int half = headDim / 2;
    for (int h = 0; h < heads; h++) {
      for (int j = 0; j < half; j++) {
        for (int i = 0; i < 2; i++) {
          int from = h * headDim + 2 * j + i;
          int to = h * headDim + i * half + j;
          System.arraycopy(in, from * rowLength, out, to * rowLength, rowLength);
        }
      }
    }
    return new HostTensor(t.shape(), out);
  }
}
