package dev.rredcot.model.policy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The decoder-only pre-LN transformer: parameters plus a forward pass written with DJL's functional
 * kernels ({@link Linear#linear}, {@link LayerNorm#layerNorm}, {@link Activation#gelu}) so
 * attention can read and extend a {@link KvCache} (whole passes) or a {@link DecodeCache} (decode
 * steps).
 *
 * <p>Every operation puts its operand from the caller's (per-call) manager first, so results are
 * attached to that manager and nothing accumulates in the parameter manager.
 */
final class TransformerNetwork implements AutoCloseable {

  private static final float LAYER_NORM_EPS = 1e-5f;
  private static final float INIT_STD = 0.02f;

  private final ModelConfig config;
  private final NDManager parameterManager;
  private final Map<String, NDArray> parameters;

  private TransformerNetwork(
      ModelConfig config, NDManager parameterManager, Map<String, NDArray> parameters) {
    this.config = config;
    this.parameterManager = parameterManager;
    this.parameters = Collections.unmodifiableMap(parameters);
    for (NDArray p : parameters.values()) {
      p.setRequiresGradient(true);
    }
  }

  /** Creates a network with GPT-2 style initialisation drawn from a seeded Java generator. */
  static TransformerNetwork initialise(ModelConfig config, Device device, long seed) {
    NDManager manager = NDManager.newBaseManager(device);
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, NDArray> params = new LinkedHashMap<>();
    int d = config.dModel();
    // Residual output projections are scaled down by sqrt(2 * layers) as in GPT-2.
    float residualStd = (float) (INIT_STD / Math.sqrt(2.0 * config.layers()));
    for (ParameterSpec spec : specs(config)) {
      float[] values = new float[(int) spec.shape.size()];
      switch (spec.kind) {
        case NORMAL -> fillNormal(values, random, INIT_STD);
        case RESIDUAL_NORMAL -> fillNormal(values, random, residualStd);
        case ONES -> java.util.Arrays.fill(values, 1f);
        case ZEROS -> {}
        default -> throw new IllegalStateException(spec.kind.toString());
      }
      params.put(spec.name, manager.create(values, spec.shape));
    }
    assert d > 0;
    return new TransformerNetwork(config, manager, params);
  }

  /** Loads parameters written by {@link #save}; names and shapes must match {@code config}. */
  static TransformerNetwork load(ModelConfig config, Device device, Path file) throws IOException {
    NDManager manager = NDManager.newBaseManager(device);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      NDList list = NDList.decode(manager, in);
      List<ParameterSpec> specs = specs(config);
      if (list.size() != specs.size()) {
        throw new IOException(
            file + " holds " + list.size() + " arrays, the config needs " + specs.size());
      }
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int i = 0; i < specs.size(); i++) {
        ParameterSpec spec = specs.get(i);
        NDArray array = list.get(i);
        if (!spec.name.equals(array.getName()) || !spec.shape.equals(array.getShape())) {
          throw new IOException(
              file
                  + ": array "
                  + i
                  + " is "
                  + array.getName()
                  + array.getShape()
                  + ", expected "
                  + spec.name
                  + spec.shape);
        }
        params.put(spec.name, array.toDevice(device, false));
      }
      return new TransformerNetwork(config, manager, params);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e instanceof IOException io ? io : new IOException("cannot read " + file, e);
    }
  }

  /** Writes every parameter (named, in a fixed order) with DJL's NDList encoding. */
  void save(Path file) throws IOException {
    NDList list = new NDList();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray array = e.getValue();
      array.setName(e.getKey());
      list.add(array);
    }
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      list.encode(out);
    }
  }

  ModelConfig config() {
    return config;
  }

  Map<String, NDArray> parameters() {
    return parameters;
  }

  NDManager parameterManager() {
    return parameterManager;
  }

  /**
   * Token embeddings (B,T,d) of int64 ids (B,T): rows of the embedding table looked up by index
   * (what a one-hot matrix times the table gives, without the (B,T,V) one-hot tensor).
   */
  NDArray embedTokens(NDArray tokenIds) {
    return lookUp(tokenIds, "tok_emb");
  }

  /** Position embeddings (B,T,d) of int64 positions (B,T), looked up like {@link #embedTokens}. */
  NDArray embedPositions(NDArray positionIds) {
    return lookUp(positionIds, "pos_emb");
  }

  private NDArray lookUp(NDArray ids, String table) {
    return Embedding.embedding(ids, param(table), SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * Runs the network.
   *
   * @param tokenEmbeddings (B,T,d) from {@link #embedTokens} (or a leaf copy for attribution)
   * @param positionIds (B,T) int64 positions in {@code [0, maxContext)}
   * @param attentionBias (B,1,T,Tpast+T) additive bias: 0 where a query may attend, -1e4 else
   * @param cache keys/values of earlier positions (Tpast of them) or null; when non-null, this
   *     call's keys and values are appended to it
   * @return logits (B,T,V)
   */
  NDArray forward(
      NDArray tokenEmbeddings, NDArray positionIds, NDArray attentionBias, KvCache cache) {
    return layers(
        tokenEmbeddings,
        positionIds,
        (h, p, layer) -> attention(h, p, attentionBias, cache, layer));
  }

  /** One layer's attention over its normalised input {@code h}; {@code p} prefixes its weights. */
  @FunctionalInterface
  private interface Attention {
    NDArray apply(NDArray h, String p, int layer);
  }

  /** The embeddings through every pre-LN block and the tied output head, to logits. */
  private NDArray layers(NDArray tokenEmbeddings, NDArray positionIds, Attention attention) {
    NDArray x = tokenEmbeddings.add(embedPositions(positionIds));
    for (int layer = 0; layer < config.layers(); layer++) {
      String p = "layer" + layer + ".";
      NDArray h = layerNorm(x, p + "ln1");
      x = x.add(attention.apply(h, p, layer));
      NDArray m = layerNorm(x, p + "ln2");
      m = Activation.gelu(linear(m, p + "mlp_in"));
      x = x.add(linear(m, p + "mlp_out"));
    }
    NDArray out = layerNorm(x, "ln_f");
    // Output head tied to the token embedding table: logits = out . tok_emb^T.
    return Linear.linear(out, param("tok_emb")).singletonOrThrow();
  }

  /**
   * One decode step: runs one new token per row against the keys and values of {@code cache}, which
   * it extends, and gives what {@link #forward} would give for the whole sequence's last column (up
   * to rounding).
   *
   * @param tokenEmbeddings (B,1,d) from {@link #embedTokens}
   * @param positionIds (B,1) int64 positions
   * @param keyBias (B,1,Tpast+1) additive bias over the keys, or null when no key is masked
   * @param masks from {@link #headMasks}
   * @return logits (B,1,V)
   */
  NDArray decodeStep(
      NDArray tokenEmbeddings,
      NDArray positionIds,
      NDArray keyBias,
      DecodeCache cache,
      HeadMasks masks) {
    return layers(
        tokenEmbeddings,
        positionIds,
        (h, p, layer) -> attendOneQuery(h, p, keyBias, cache, layer, masks));
  }

  /**
   * Attention of one query per row (B,1,d) with heads side by side: row {@code h} of {@code
   * masks.scaledQuery} keeps head {@code h}'s columns (times 1/sqrt(headDim)) and zeroes the rest,
   * so one (heads, d) x (d, T) product per row gives every head's scores, and one (heads, T) x (T,
   * d) product mixes the values, of which row {@code h} keeps head {@code h}'s columns. One form
   * for every batch size: with (B, heads, T, headDim) arrays a 4-D product (one small GEMM per row
   * and head) loses to elementwise products and sums at one or two rows and wins from a few rows
   * on, and this form is about as fast as the better of the two at either end (docs/BENCHMARKS.md
   * has the measurements).
   */
  private NDArray attendOneQuery(
      NDArray h, String p, NDArray keyBias, DecodeCache cache, int layer, HeadMasks masks) {
    NDArray query = linear(h, p + "q");
    NDArray[] kv = cache.append(layer, linear(h, p + "k"), linear(h, p + "v"));
    NDArray scores = query.mul(masks.scaledQuery()).matMul(kv[0].transpose(0, 2, 1));
    if (keyBias != null) {
      scores = scores.add(keyBias);
    }
    NDArray mixed = scores.softmax(-1).matMul(kv[1]);
    NDArray merged = mixed.mul(masks.select()).sum(new int[] {1}, true);
    return linear(merged, p + "o");
  }

  /**
   * (heads, d) masks for {@link #decodeStep}: {@code select} is 1 in head {@code h}'s columns of
   * row {@code h} and 0 elsewhere, {@code scaledQuery} the same times 1/sqrt(headDim).
   */
  record HeadMasks(NDArray scaledQuery, NDArray select) {}

  /** The masks of {@link #decodeStep}, owned by {@code manager}: built once per generation. */
  HeadMasks headMasks(NDManager manager) {
    int heads = config.heads();
    int headDim = config.headDim();
    int d = config.dModel();
    float[] select = new float[heads * d];
    float[] scaled = new float[heads * d];
    float scale = (float) (1.0 / Math.sqrt(headDim));
    for (int head = 0; head < heads; head++) {
      for (int j = head * headDim; j < (head + 1) * headDim; j++) {
        select[head * d + j] = 1f;
        scaled[head * d + j] = scale;
      }
    }
    Shape shape = new Shape(heads, d);
    return new HeadMasks(manager.create(scaled, shape), manager.create(select, shape));
  }

  private NDArray attention(NDArray h, String p, NDArray bias, KvCache cache, int layer) {
    long batch = h.getShape().get(0);
    long steps = h.getShape().get(1);
    int heads = config.heads();
    int headDim = config.headDim();
    NDArray q = splitHeads(linear(h, p + "q"), batch, steps, heads, headDim);
    NDArray k = splitHeads(linear(h, p + "k"), batch, steps, heads, headDim);
    NDArray v = splitHeads(linear(h, p + "v"), batch, steps, heads, headDim);
    if (cache != null) {
      NDArray[] kv = cache.append(layer, k, v);
      k = kv[0];
      v = kv[1];
    }
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(headDim)).add(bias);
    NDArray context = scores.softmax(-1).matMul(v);
    NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, steps, (long) heads * headDim);
    return linear(merged, p + "o");
  }

  private static NDArray splitHeads(NDArray x, long batch, long steps, int heads, int headDim) {
    return x.reshape(batch, steps, heads, headDim).transpose(0, 2, 1, 3);
  }

  private NDArray linear(NDArray x, String name) {
    return Linear.linear(x, param(name + ".weight"), param(name + ".bias")).singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, String name) {
    return LayerNorm.layerNorm(
            x,
            new Shape(config.dModel()),
            param(name + ".gamma"),
            param(name + ".beta"),
            LAYER_NORM_EPS)
        .singletonOrThrow();
  }

  private NDArray param(String name) {
    NDArray array = parameters.get(name);
    if (array == null) {
      throw new IllegalStateException("no parameter " + name);
    }
    return array;
  }

  @Override
  public void close() {
    parameterManager.close();
  }

  private static void fillNormal(float[] values, SplittableRandom random, float std) {
    for (int i = 0; i < values.length; i++) {
      // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
      double u1 = 1.0 - random.nextDouble();
      double u2 = random.nextDouble();
      values[i] = (float) (std * Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
  }

  private enum InitKind {
    NORMAL,
    RESIDUAL_NORMAL,
    ONES,
    ZEROS
  }

  private record ParameterSpec(String name, Shape shape, InitKind kind) {}

  /** Every parameter in save order; Linear weights are (out, in) as DJL's linear expects. */
  private static List<ParameterSpec> specs(ModelConfig c) {
    int d = c.dModel();
    List<ParameterSpec> specs = new ArrayList<>();
    specs.add(new ParameterSpec("tok_emb", new Shape(c.vocabSize(), d), InitKind.NORMAL));
    specs.add(new ParameterSpec("pos_emb", new Shape(c.maxContext(), d), InitKind.NORMAL));
    for (int layer = 0; layer < c.layers(); layer++) {
      String p = "layer" + layer + ".";
      addNorm(specs, p + "ln1", d);
      addLinear(specs, p + "q", d, d, InitKind.NORMAL);
      addLinear(specs, p + "k", d, d, InitKind.NORMAL);
      addLinear(specs, p + "v", d, d, InitKind.NORMAL);
      addLinear(specs, p + "o", d, d, InitKind.RESIDUAL_NORMAL);
      addNorm(specs, p + "ln2", d);
      addLinear(specs, p + "mlp_in", c.dFF(), d, InitKind.NORMAL);
      addLinear(specs, p + "mlp_out", d, c.dFF(), InitKind.RESIDUAL_NORMAL);
    }
    addNorm(specs, "ln_f", d);
    return specs;
  }

  private static void addLinear(
      List<ParameterSpec> specs, String name, int out, int in, InitKind kind) {
    specs.add(new ParameterSpec(name + ".weight", new Shape(out, in), kind));
    specs.add(new ParameterSpec(name + ".bias", new Shape(out), InitKind.ZEROS));
  }

  private static void addNorm(List<ParameterSpec> specs, String name, int d) {
    specs.add(new ParameterSpec(name + ".gamma", new Shape(d), InitKind.ONES));
    specs.add(new ParameterSpec(name + ".beta", new Shape(d), InitKind.ZEROS));
  }
}
