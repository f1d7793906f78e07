package dev.rredcot.model.backend.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.io.IOException;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A Llama-family decoder's weights as NDArrays and its forward pass: token embeddings, then per
 * layer RMSNorm, rotary q/k (the checkpoint's pair convention), grouped-query attention with an
 * optional q/k/v bias, and a SwiGLU MLP, then the final norm and the output projection (the
 * embedding itself when tied). {@link LlamaCausalLm} serves it as a backend; this class only
 * computes.
 *
 * <p>Every parameter is registered under its Hugging Face name and requires gradients (recorded
 * only inside a GradientCollector); projections are held transposed ([in, out]) so each product is
 * x · W.
 */
final class LlamaNetwork {
  /**
   * Added to the scores of hidden key columns: large enough that softmax gives them 0, finite so
   * that a padding query that sees nothing gets a uniform row rather than NaN.
   */
  private static final float MASKED = -1e4f;

  private final LlamaConfig config;
  private final NDManager parameters;
  // Every parameter by its Hugging Face name; those in storedTransposed are kept [in, out].
  private final Map<String, NDArray> named = new LinkedHashMap<>();
  private final Set<String> storedTransposed = new HashSet<>();
  private final NDArray embedding;
  // Null when the output is tied: the logits then multiply by the embedding itself.
  private final NDArray outputT;
  private final NDArray finalNorm;
  private final Layer[] layers;
  private final float[] inverseFrequencies;

  /** One decoder layer's parameters; projections stored transposed ([in, out]) for x · W. */
  private record Layer(
      NDArray attentionNorm,
      NDArray wqT,
      NDArray wkT,
      NDArray wvT,
      NDArray bq,
      NDArray bk,
      NDArray bv,
      NDArray woT,
      NDArray ffnNorm,
      NDArray gateT,
      NDArray upT,
      NDArray downT) {}

  /**
   * The weights of {@code checkpoint}, created in {@code parameters} (which the caller owns and
   * closes).
   *
   * @throws IOException when a tensor is missing or does not fit the configuration
   */
  LlamaNetwork(LlamaCheckpoint checkpoint, NDManager parameters) throws IOException {
    this.config = checkpoint.config();
    this.parameters = parameters;
    this.embedding = plain(checkpoint, LlamaCheckpoint.EMBEDDING);
    this.outputT = config.tiedOutput() ? null : transposed(checkpoint, LlamaCheckpoint.OUTPUT);
    this.finalNorm = plain(checkpoint, LlamaCheckpoint.FINAL_NORM);
    this.layers = new Layer[config.layers()];
    for (int l = 0; l < layers.length; l++) {
      layers[l] =
          new Layer(
              plain(checkpoint, LlamaCheckpoint.layer(l, "input_layernorm.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "self_attn.q_proj.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "self_attn.k_proj.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "self_attn.v_proj.weight")),
              bias(checkpoint, LlamaCheckpoint.layer(l, "self_attn.q_proj.bias")),
              bias(checkpoint, LlamaCheckpoint.layer(l, "self_attn.k_proj.bias")),
              bias(checkpoint, LlamaCheckpoint.layer(l, "self_attn.v_proj.bias")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "self_attn.o_proj.weight")),
              plain(checkpoint, LlamaCheckpoint.layer(l, "post_attention_layernorm.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "mlp.gate_proj.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "mlp.up_proj.weight")),
              transposed(checkpoint, LlamaCheckpoint.layer(l, "mlp.down_proj.weight")));
    }
    for (NDArray p : named.values()) {
      // Recorded only inside a GradientCollector: every other call runs with autograd off.
      p.setRequiresGradient(true);
    }

    int half = config.headDim() / 2;
    inverseFrequencies = new float[half];
    for (int j = 0; j < half; j++) {
      // In float32, as llama2.c's run.c and Hugging Face compute them.
      inverseFrequencies[j] =
          (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / config.headDim()));
    }
  }

  /**
   * Every parameter by its Hugging Face name, each requiring gradients; projections are stored
   * transposed ([in, out]) and a tied output is the embedding, listed once.
   */
  Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(named);
  }

  /**
   * The current weights under their Hugging Face names in PyTorch's [out, in] layout; a tied output
   * has no {@code lm_head.weight}. The caller holds the model's lock.
   */
  LlamaCheckpoint checkpoint() {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : named.entrySet()) {
      long[] shape = e.getValue().getShape().getShape();
      float[] values = e.getValue().toFloatArray();
      if (storedTransposed.contains(e.getKey())) {
        values = transpose(values, (int) shape[0], (int) shape[1]);
        shape = new long[] {shape[1], shape[0]};
      }
      tensors.put(e.getKey(), new HostTensor(shape, values));
    }
    return new LlamaCheckpoint(config, tensors);
  }

  /** The token embeddings (rows, width, dim) of {@code ids}, in {@code manager}. */
  NDArray embed(NDManager manager, long[] ids, int rows, int width) {
    NDArray x = embedding.get(manager.create(ids));
    // get() on a parameter allocates in the parameters' manager: move it to this call's.
    x.attach(manager);
    return x.reshape(rows, width, config.dim());
  }

  /**
   * The decoder from input embeddings x (rows, width, dim): logits, and with {@code present} the
   * present keys and values.
   */
  NDList decode(
      NDManager manager,
      NDArray x,
      long[] positions,
      long[] mask,
      NDArray pastKeys,
      NDArray pastValues,
      boolean present) {
    int rows = Math.toIntExact(x.getShape().get(0));
    int width = Math.toIntExact(x.getShape().get(1));
    int past = pastKeys == null ? 0 : Math.toIntExact(pastKeys.getShape().get(3));
    int columns = past + width;
    int heads = config.heads();
    int kvHeads = config.kvHeads();
    int headDim = config.headDim();
    NDArray attentionBias = attentionBias(manager, mask, rows, width, past);
    NDArray[] rotary = rotary(manager, positions, rows, width);
    NDArray[] presentKeys = new NDArray[layers.length];
    NDArray[] presentValues = new NDArray[layers.length];
    float scale = (float) (1 / Math.sqrt(headDim));
    for (int l = 0; l < layers.length; l++) {
      Layer w = layers[l];
      NDArray h = rmsNorm(x, w.attentionNorm());
      NDArray q = linear(h, w.wqT(), w.bq()).reshape(rows, width, heads, headDim);
      NDArray k = linear(h, w.wkT(), w.bk()).reshape(rows, width, kvHeads, headDim);
      NDArray v = linear(h, w.wvT(), w.bv()).reshape(rows, width, kvHeads, headDim);
      q = rotate(q, rotary).transpose(0, 2, 1, 3);
      k = rotate(k, rotary).transpose(0, 2, 1, 3);
      v = v.transpose(0, 2, 1, 3);
      if (past > 0) {
        k = pastKeys.get(":, {}", l).concat(k, 2);
        v = pastValues.get(":, {}", l).concat(v, 2);
      }
      presentKeys[l] = k;
      presentValues[l] = v;
      // Grouped-query attention without copying keys: the query heads of one group share a
      // key/value head, so queries are grouped (rows, kvHeads, group, T, d) and keys broadcast.
      NDArray grouped = q.reshape(rows, kvHeads, heads / kvHeads, width, headDim);
      NDArray scores =
          grouped.matMul(k.expandDims(2).transpose(0, 1, 2, 4, 3)).mul(scale).add(attentionBias);
      NDArray attended =
          scores
              .softmax(-1)
              .matMul(v.expandDims(2))
              .reshape(rows, heads, width, headDim)
              .transpose(0, 2, 1, 3)
              .reshape(rows, width, config.dim());
      x = x.add(attended.matMul(w.woT()));
      NDArray f = rmsNorm(x, w.ffnNorm());
      NDArray gate = f.matMul(w.gateT());
      NDArray up = f.matMul(w.upT());
      x = x.add(gate.mul(Activation.sigmoid(gate)).mul(up).matMul(w.downT()));
    }
    NDArray output = outputT;
    if (output == null) {
      // transpose() on a parameter allocates in the parameters' manager: move it to this call's.
      output = embedding.transpose();
      output.attach(manager);
    }
    NDArray logits = rmsNorm(x, finalNorm).matMul(output);
    if (!present) {
      logits.attach(manager);
      return new NDList(logits);
    }
    NDArray keys = NDArrays.stack(new NDList(presentKeys), 1);
    NDArray values = NDArrays.stack(new NDList(presentValues), 1);
    // The stacked cache is allocated where the past lived; the caller expects it in this manager.
    keys.attach(manager);
    values.attach(manager);
    logits.attach(manager);
    if (columns != keys.getShape().get(3)) {
      throw new IllegalStateException("cache length " + keys.getShape() + " != " + columns);
    }
    return new NDList(logits, keys, values);
  }

  /**
   * (rows, 1, 1, width, past + width): 0 where query t of a row may attend to key column c (the
   * column is real and not after the query's own column), {@link #MASKED} elsewhere.
   */
  private static NDArray attentionBias(
      NDManager manager, long[] mask, int rows, int width, int past) {
    int columns = past + width;
    float[] bias = new float[rows * width * columns];
    for (int b = 0; b < rows; b++) {
      for (int t = 0; t < width; t++) {
        for (int c = 0; c < columns; c++) {
          boolean visible = mask[b * columns + c] != 0 && c <= past + t;
          bias[(b * width + t) * columns + c] = visible ? 0 : MASKED;
        }
      }
    }
    return manager.create(bias, new Shape(rows, 1, 1, width, columns));
  }

  /** Cosines and sines (rows, width, 1, headDim/2) of every position's rotary angles. */
  private NDArray[] rotary(NDManager manager, long[] positions, int rows, int width) {
    int half = inverseFrequencies.length;
    float[] cos = new float[rows * width * half];
    float[] sin = new float[rows * width * half];
    for (int p = 0; p < rows * width; p++) {
      float position = (float) (positions[p] / config.ropeScaling());
      for (int j = 0; j < half; j++) {
        float angle = position * inverseFrequencies[j];
        cos[p * half + j] = (float) Math.cos(angle);
        sin[p * half + j] = (float) Math.sin(angle);
      }
    }
    Shape shape = new Shape(rows, width, 1, half);
    return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
  }

  /** Rotary embedding of x (rows, width, heads, headDim) in the model's pair convention. */
  private NDArray rotate(NDArray x, NDArray[] rotary) {
    NDArray cos = rotary[0];
    NDArray sin = rotary[1];
    Shape shape = x.getShape();
    int half = config.headDim() / 2;
    if (config.rope() == LlamaConfig.RopeConvention.INTERLEAVED) {
      NDArray pairs = x.reshape(shape.get(0), shape.get(1), shape.get(2), half, 2);
      NDArray even = pairs.get(":, :, :, :, 0");
      NDArray odd = pairs.get(":, :, :, :, 1");
      return NDArrays.stack(
              new NDList(even.mul(cos).sub(odd.mul(sin)), even.mul(sin).add(odd.mul(cos))), -1)
          .reshape(shape);
    }
    NDArray first = x.get(":, :, :, :{}", half);
    NDArray second = x.get(":, :, :, {}:", half);
    return first.mul(cos).sub(second.mul(sin)).concat(second.mul(cos).add(first.mul(sin)), -1);
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add((float) config.normEps()).sqrt();
    return x.div(rms).mul(weight);
  }

  private static NDArray linear(NDArray x, NDArray weightT, NDArray bias) {
    NDArray y = x.matMul(weightT);
    return bias == null ? y : y.add(bias);
  }

  /** The parameter {@code name} as stored, registered under its name. */
  private NDArray plain(LlamaCheckpoint checkpoint, String name) throws IOException {
    HostTensor t = checkpoint.tensor(name);
    NDArray array = parameters.create(t.values(), new Shape(t.shape()));
    named.put(name, array);
    return array;
  }

  /**
   * The [out, in] weight {@code name} as [in, out], transposed here so every step multiplies x · W
   * directly; registered under its name.
   */
  private NDArray transposed(LlamaCheckpoint checkpoint, String name) throws IOException {
    HostTensor t = checkpoint.tensor(name);
    int out = Math.toIntExact(t.shape()[0]);
    int in = Math.toIntExact(t.shape()[1]);
    NDArray array = parameters.create(transpose(t.values(), out, in), new Shape(in, out));
    named.put(name, array);
    storedTransposed.add(name);
    return array;
  }

  /** The row-major (rows, columns) matrix {@code values} as (columns, rows). */
  private static float[] transpose(float[] values, int rows, int columns) {
    float[] transposed = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        transposed[c * rows + r] = values[r * columns + c];
      }
    }
    return transposed;
  }

  private NDArray bias(LlamaCheckpoint checkpoint, String name) throws IOException {
    return config.qkvBias() && checkpoint.tensors().containsKey(name)
        ? plain(checkpoint, name)
        : null;
  }
}
