package dev.rredcot.model.backend.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads llama2.c's "legacy" checkpoint: seven little-endian int32 (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size — negative when the output is not tied to the embedding —,
 * max_seq_len), then float32 arrays with all layers of one kind stacked: embedding, attention
 * RMSNorm, wq, wk, wv, wo, FFN RMSNorm, w1, w2, w3, final RMSNorm, two precomputed rotary tables
 * (ignored: this implementation computes them) and, when untied, the output projection. llama2.c
 * rotates interleaved pairs; norm epsilon 1e-5 and rotary base 10000 are fixed by its run.c.
 */
public final class Llama2cCheckpoint {

  /** The magic that starts llama2.c's newer versioned exports, which this reader refuses. */
  private static final int VERSIONED_MAGIC = 0x616b3432;

  private static final double NORM_EPS = 1e-5;
  private static final double ROPE_THETA = 10000;

  private Llama2cCheckpoint() {}

  /**
   * Reads {@code file} into Hugging Face tensor names with the interleaved rotary convention.
   *
   * @throws IOException when the file is not a legacy llama2.c checkpoint of the size its header
   *     implies
   */
  public static LlamaCheckpoint read(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.remaining() < 28) {
      throw new IOException(file + ": too short for a llama2.c header");
    }
    if (bytes.getInt(0) == VERSIONED_MAGIC) {
      throw new IOException(
          file + ": a versioned llama2.c export (magic ak42); only the legacy format is supported");
    }
    int dim = bytes.getInt();
    int hidden = bytes.getInt();
    int layers = bytes.getInt();
    int heads = bytes.getInt();
    int kvHeads = bytes.getInt();
    int signedVocab = bytes.getInt();
    int maxSeq = bytes.getInt();
    boolean tied = signedVocab > 0;
    int vocab = Math.abs(signedVocab);
    LlamaConfig config;
    try {
      config =
          new LlamaConfig(
              dim,
              hidden,
              layers,
              heads,
              kvHeads,
              vocab,
              maxSeq,
              NORM_EPS,
              ROPE_THETA,
              1,
              LlamaConfig.RopeConvention.INTERLEAVED,
              tied,
              false);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          file + ": header does not describe a llama2.c model: " + e.getMessage());
    }
    long kvDim = config.kvDim();
    long headDim = config.headDim();
    long floats =
        (long) vocab * dim
            + layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim)
            + dim
            + maxSeq * headDim
            + (tied ? 0 : (long) vocab * dim);
    if (bytes.remaining() != 4 * floats) {
      throw new IOException(
          file
              + ": holds "
              + bytes.remaining()
              + " bytes of weights, its header implies "
              + 4 * floats);
    }
    FloatBuffer in = bytes.asFloatBuffer();
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put(LlamaCheckpoint.EMBEDDING, next(in, vocab, dim));
    stacked(in, t, layers, "input_layernorm.weight", dim);
    stacked(in, t, layers, "self_attn.q_proj.weight", dim, dim);
    stacked(in, t, layers, "self_attn.k_proj.weight", kvDim, dim);
    stacked(in, t, layers, "self_attn.v_proj.weight", kvDim, dim);
    stacked(in, t, layers, "self_attn.o_proj.weight", dim, dim);
    stacked(in, t, layers, "post_attention_layernorm.weight", dim);
    stacked(in, t, layers, "mlp.gate_proj.weight", hidden, dim);
    stacked(in, t, layers, "mlp.down_proj.weight", dim, hidden);
    stacked(in, t, layers, "mlp.up_proj.weight", hidden, dim);
    t.put(LlamaCheckpoint.FINAL_NORM, next(in, dim));
    in.position(in.position() + (int) (maxSeq * headDim));
    if (!tied) {
      t.put(LlamaCheckpoint.OUTPUT, next(in, vocab, dim));
    }
    return new LlamaCheckpoint(config, t).validate();
  }

  private static void stacked(
      FloatBuffer in, Map<String, HostTensor> into, int layers, String suffix, long... shape) {
    for (int l = 0; l < layers; l++) {
      into.put(LlamaCheckpoint.layer(l, suffix), next(in, shape));
    }
  }

  private static HostTensor next(FloatBuffer in, long... shape) {
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    float[] values = new float[Math.toIntExact(size)];
    in.get(values);
    return new HostTensor(shape, values);
  }
}
