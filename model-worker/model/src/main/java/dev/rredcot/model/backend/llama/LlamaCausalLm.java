package dev.rredcot.model.backend.llama;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BackendKind;
import dev.rredcot.model.backend.CachedCausalLm;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.tokenizer.ChatTemplate;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Llama-family decoder (Llama 2/3, TinyLlama, SmolLM, Qwen2) built from DJL NDArray operations,
 * as a {@link CachedCausalLm}: RMSNorm, rotary embeddings (llama2.c's interleaved pairs or Hugging
 * Face's halves), grouped-query attention with a key/value cache, a SwiGLU feed-forward and a tied
 * or separate output projection. It declares entropies, generation, KV reuse and gradients with
 * respect to its input embeddings (attribution). It is trainable without declaring training itself:
 * {@code LlamaPolicy} (policy package) runs the built-in policy's step over {@link
 * #logits(NDManager, long[], long[], long[], int, int) its forward pass} and {@link #parameters()},
 * and {@link #save} writes the weights into a checkpoint store as a Hugging Face directory, which
 * {@link #load(Checkpoint)} reads back as that version.
 *
 * <p>Opened from a llama2.c checkpoint directory ({@link #LLAMA2C_KIND}) or a Hugging Face
 * directory ({@link #HUGGING_FACE_KIND}); a {@value ChatTemplate#FILE_NAME} beside the weights
 * wraps every prompt. The key/value cache has the layout (rows, layers, kvHeads, positions,
 * headDim). Parameters live in one manager owned by this instance and closed with it; a tied output
 * projection is the embedding array itself, so training moves both uses together.
 */
public final class LlamaCausalLm extends CachedCausalLm {

  /** A llama2.c checkpoint ({@code *.bin}) with its sentencepiece tokenizer. */
  public static final BackendKind LLAMA2C_KIND =
      new BackendKind() {
        @Override
        public String name() {
          return "llama2c";
        }

        @Override
        public String expectedFiles() {
          return "one llama2.c checkpoint *.bin + a character-level sentencepiece *.model or"
              + " *.vocab";
        }

        @Override
        public boolean recognises(Path dir) {
          return Llama2cDirectory.recognises(dir);
        }

        @Override
        public PolicyBackend open(Path dir) throws IOException {
          return openLlama2c(dir);
        }
      };

  /** A Hugging Face directory: config.json, safetensors weights, a tokenizer. */
  public static final BackendKind HUGGING_FACE_KIND =
      new BackendKind() {
        @Override
        public String name() {
          return "huggingface-llama";
        }

        @Override
        public String expectedFiles() {
          return "config.json + model.safetensors (or model.safetensors.index.json and shards) +"
              + " tokenizer.json or tokenizer.model";
        }

        @Override
        public boolean recognises(Path dir) {
          return HuggingFaceLlama.recognises(dir);
        }

        @Override
        public PolicyBackend open(Path dir) throws IOException {
          return openHuggingFace(dir);
        }
      };

  private static final Logger LOG = LoggerFactory.getLogger(LlamaCausalLm.class);

  private static final Set<BackendCapability> CAPABILITIES =
      Set.of(
          BackendCapability.ENTROPIES,
          BackendCapability.GENERATION,
          BackendCapability.KV_REUSE,
          BackendCapability.GRADIENTS);

  /**
   * Files of a Hugging Face directory besides the weights and the tokenizer's own that {@link
   * #save} carries over from the directory the model was opened from: the special tokens of a
   * {@code tokenizer.json} and the chat template.
   */
  private static final List<String> CARRIED_FILES =
      List.of(HuggingFaceLlama.TOKENIZER_CONFIG_FILE, ChatTemplate.FILE_NAME);

  private final String description;
  private final LlamaConfig config;
  private final Tokenizer tokenizer;
  private final ChatTemplate chatTemplate;
  private final Path sourceDir;
  private final NDManager parameters;
  private final LlamaNetwork network;
  private volatile long version;

  private LlamaCausalLm(
      String description,
      LlamaCheckpoint checkpoint,
      Tokenizer tokenizer,
      ChatTemplate chatTemplate,
      Path sourceDir,
      NDManager parameters)
      throws IOException {
    super(tokenizer, checkpoint.config().vocabSize(), checkpoint.config().maxContext());
    this.description = description;
    this.config = checkpoint.config();
    this.tokenizer = tokenizer;
    this.chatTemplate = chatTemplate;
    this.sourceDir = sourceDir;
    this.parameters = parameters;
    this.network = new LlamaNetwork(checkpoint, parameters);
  }

  /**
   * A model from {@code checkpoint} scoring in the ids of {@code tokenizer}.
   *
   * @param chatTemplate wraps every prompt; null for none
   * @throws IOException when the tokenizer has more ids than the model has embedding rows
   */
  public static LlamaCausalLm create(
      String description,
      LlamaCheckpoint checkpoint,
      Tokenizer tokenizer,
      ChatTemplate chatTemplate)
      throws IOException {
    return create(description, checkpoint, tokenizer, chatTemplate, null);
  }

  /**
   * {@link #create(String, LlamaCheckpoint, Tokenizer, ChatTemplate)} for a model read from {@code
   * sourceDir}, whose {@link #CARRIED_FILES} {@link #save} copies.
   */
  private static LlamaCausalLm create(
      String description,
      LlamaCheckpoint checkpoint,
      Tokenizer tokenizer,
      ChatTemplate chatTemplate,
      Path sourceDir)
      throws IOException {
    checkpoint.validate();
    if (tokenizer.vocabSize() > checkpoint.config().vocabSize()) {
      throw new IOException(
          description
              + ": the tokenizer has "
              + tokenizer.vocabSize()
              + " ids, more than the model's vocab_size "
              + checkpoint.config().vocabSize());
    }
    Device device = TorchEngine.chooseDevice();
    NDManager parameters = NDManager.newBaseManager(device, "PyTorch");
    try {
      return new LlamaCausalLm(
          description, checkpoint, tokenizer, chatTemplate, sourceDir, parameters);
    } catch (IOException | RuntimeException e) {
      parameters.close();
      throw e;
    }
  }

  /**
   * Opens the llama2.c checkpoint in {@code dir} (its one {@code *.bin}) with the sentencepiece
   * tokenizer beside it ({@code tokenizer.model}, else the one {@code *.model}, else {@code
   * *.vocab}).
   *
   * @throws IOException when the files are missing or do not fit each other
   */
  public static LlamaCausalLm openLlama2c(Path dir) throws IOException {
    Path file = Llama2cDirectory.checkpointFile(dir);
    LlamaCheckpoint checkpoint = Llama2cCheckpoint.read(file);
    LlamaCausalLm lm =
        create(
            "llama2c " + file.toAbsolutePath().normalize(),
            checkpoint,
            Llama2cDirectory.tokenizer(dir),
            ChatTemplate.read(dir).orElse(null),
            dir);
    LOG.info("loaded llama2.c model {} ({})", file, checkpoint.config());
    return lm;
  }

  /**
   * Opens the Hugging Face directory {@code dir}.
   *
   * @throws IOException naming the field, tensor or file that is missing or not supported
   */
  public static LlamaCausalLm openHuggingFace(Path dir) throws IOException {
    LlamaCheckpoint checkpoint = HuggingFaceLlama.read(dir);
    Tokenizer tokenizer = HuggingFaceLlama.tokenizer(dir);
    try {
      LlamaCausalLm lm =
          create(
              "huggingface-llama " + dir.toAbsolutePath().normalize(),
              checkpoint,
              tokenizer,
              ChatTemplate.read(dir).orElse(null),
              dir);
      LOG.info("loaded Hugging Face model {} ({})", dir, checkpoint.config());
      return lm;
    } catch (IOException | RuntimeException e) {
      if (tokenizer instanceof AutoCloseable closeable) {
        closeQuietly(closeable);
      }
      throw e;
    }
  }

  /**
   * Opens checkpoint {@code checkpoint} of a checkpoint store (a Hugging Face directory that {@link
   * #save} wrote, with the store's manifest) as that policy version, after verifying every file
   * against the manifest and the manifest against {@link Checkpoint#manifestSha256()}.
   *
   * @throws dev.rredcot.model.checkpoint.CheckpointVerificationException when the directory does
   *     not match its manifest
   * @throws IOException when a file is missing or does not fit the configuration
   */
  public static LlamaCausalLm load(Checkpoint checkpoint) throws IOException {
    Checkpoint verified = CheckpointStore.verify(checkpoint.dir(), checkpoint.manifestSha256());
    LlamaCausalLm lm = openHuggingFace(verified.dir());
    lm.version = verified.version();
    LOG.info("loaded Llama policy version {} from {}", verified.version(), verified.dir());
    return lm;
  }

  /** The architecture this model runs. */
  public LlamaConfig config() {
    return config;
  }

  @Override
  public String description() {
    return description;
  }

  /**
   * The policy version: 0 for a model opened from a directory (a pretrained checkpoint carries
   * none), the checkpoint's version once {@link #load(Checkpoint) loaded from} or {@link #save
   * saved to} a store.
   */
  @Override
  public long version() {
    return version;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return CAPABILITIES;
  }

  // ---------------------------------------------------------------- training

  /**
   * Logits (rows, width, vocab) of left-padded sequences, created in {@code manager}, recorded for
   * the parameters' gradients when called inside a {@code GradientCollector}.
   *
   * @param ids (rows * width) token ids, row-major
   * @param positions (rows * width) position of each column in its sequence
   * @param mask (rows * width) 1 where a column holds a real token
   */
  public NDArray logits(
      NDManager manager, long[] ids, long[] positions, long[] mask, int rows, int width) {
    NDArray x = network.embed(manager, ids, rows, width);
    return network.decode(manager, x, positions, mask, null, null, false).get(0);
  }

  /**
   * Every parameter by its Hugging Face name, each requiring gradients; projections are stored
   * transposed ([in, out]) and a tied output is the embedding, listed once.
   */
  public Map<String, NDArray> parameters() {
    return network.parameters();
  }

  /** The manager owning the parameters; a training step works in sub-managers of it. */
  public NDManager parameterManager() {
    return parameters;
  }

  /** {@code [bos] + tokens(promptText(prompt)) + trace}, the sequence this model scores. */
  public int[] sequence(String prompt, int[] trace) {
    return context(prompt, trace);
  }

  /**
   * Runs {@code body} under the lock every call of this model takes (autograd off unless {@code
   * body} opens a GradientCollector), so a training step never interleaves with scoring.
   */
  public <T> T exclusively(Supplier<T> body) {
    return locked(body);
  }

  /**
   * Writes the current weights as checkpoint {@code version} of {@code store}: a Hugging Face
   * directory ({@link HuggingFaceLlama#write}: {@code config.json}, F32 {@code model.safetensors}
   * in Hugging Face's rotary convention, no {@code lm_head.weight} when tied, the tokenizer's
   * files, and the {@code tokenizer_config.json} and chat template of the directory the model came
   * from), with the store's manifest; adopts that version.
   */
  public Checkpoint save(
      CheckpointStore store, long version, Long parentVersion, Map<String, Double> metrics)
      throws IOException {
    LlamaCheckpoint weights = checkpoint();
    Checkpoint written =
        store.write(
            version,
            parentVersion,
            metrics,
            dir -> {
              HuggingFaceLlama.write(dir, weights, tokenizer);
              for (String name : CARRIED_FILES) {
                Path carried = sourceDir == null ? null : sourceDir.resolve(name);
                if (carried != null
                    && Files.isRegularFile(carried)
                    && !Files.exists(dir.resolve(name))) {
                  Files.copy(carried, dir.resolve(name));
                }
              }
            });
    this.version = version;
    return written;
  }

  /**
   * The current weights under their Hugging Face names in PyTorch's [out, in] layout, in this
   * model's rotary convention; a tied output has no {@code lm_head.weight}.
   */
  public LlamaCheckpoint checkpoint() {
    return locked(network::checkpoint);
  }

  @Override
  protected String promptText(String prompt) {
    return chatTemplate == null ? prompt : chatTemplate.apply(prompt);
  }

  @Override
  protected NDManager rootManager() {
    return parameters;
  }

  // ---------------------------------------------------------------- the forward pass

  @Override
  protected NDList forward(
      NDManager manager,
      long[] ids,
      long[] positions,
      int rows,
      int width,
      long[] mask,
      NDArray pastKeys,
      NDArray pastValues) {
    return network.decode(
        manager,
        network.embed(manager, ids, rows, width),
        positions,
        mask,
        pastKeys,
        pastValues,
        true);
  }

  // ---------------------------------------------------------------- attribution

  /**
   * Gradient × input attribution of {@code log p(answer | prompt + trace + cue)} to every trace
   * token: the gradient of the answer's summed log-probability with respect to the token's input
   * embedding, dotted with that embedding (the built-in policy's definition). One backward pass per
   * batch; the parameters record no gradient, so nothing is left to zero.
   */
  @Override
  public List<double[]> gradientTimesInput(List<ValueRequest> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(() -> TorchEngine.exclusiveGradients(() -> attribution(batch)));
  }

  private List<double[]> attribution(List<ValueRequest> batch) {
    AnswerRows rows = new AnswerRows(batch);
    try (NDManager manager = parameters.newSubManager()) {
      NDArray x = network.embed(manager, rows.ids, rows.count, rows.width).stopGradient();
      x.setRequiresGradient(true);
      NDArray gradient;
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        collector.backward(
            rows.answerLogProbs(
                manager,
                network.decode(manager, x, rows.positions, rows.mask, null, null, false).get(0)));
        gradient = x.getGradient();
        gradient.attach(manager);
      }
      float[] gxi = gradient.mul(x).sum(new int[] {-1}).toFloatArray();
      List<double[]> out = new ArrayList<>();
      for (int b = 0; b < batch.size(); b++) {
        int first = context(batch.get(b).prompt(), new int[0]).length;
        double[] values = new double[batch.get(b).traceTokens().length];
        for (int j = 0; j < values.length; j++) {
          values[j] = gxi[b * rows.width + first + j];
        }
        out.add(values);
      }
      return out;
    }
  }

  /**
   * {@code log p(answer | prompt + trace + cue)} of one request with the input embedding of trace
   * token {@code traceIndex} multiplied by {@code scale}: tests differentiate it numerically to
   * check {@link #gradientTimesInput}, whose value is its derivative at scale 1.
   */
  double answerLogProbWithScaledToken(ValueRequest request, int traceIndex, float scale) {
    return locked(
        () ->
            TorchEngine.withoutGradients(
                () -> {
                  AnswerRows rows = new AnswerRows(List.of(request));
                  try (NDManager manager = parameters.newSubManager()) {
                    float[] scales = new float[rows.width];
                    java.util.Arrays.fill(scales, 1f);
                    scales[context(request.prompt(), new int[0]).length + traceIndex] = scale;
                    NDArray x =
                        network
                            .embed(manager, rows.ids, 1, rows.width)
                            .mul(manager.create(scales, new Shape(1, rows.width, 1)));
                    NDArray logits =
                        network
                            .decode(manager, x, rows.positions, rows.mask, null, null, false)
                            .get(0);
                    return (double) rows.answerLogProbs(manager, logits).getFloat();
                  }
                }));
  }

  /**
   * Sequences {@code context(prompt, trace) + cue + answer}, right-padded (causal attention keeps
   * padding after a row out of its real tokens), with the positions that predict answer tokens.
   */
  private final class AnswerRows {
    final int count;
    final int width;
    final long[] ids;
    final long[] positions;
    final long[] mask;
    final long[] targets;
    final float[] answerColumns;

    AnswerRows(List<ValueRequest> batch) {
      List<int[]> sequences = new ArrayList<>();
      int[] answerStart = new int[batch.size()];
      int w = 0;
      for (int b = 0; b < batch.size(); b++) {
        ValueRequest r = batch.get(b);
        int[] context = context(r.prompt(), r.traceTokens());
        int[] cue = tokenizer.encode(r.answerCue());
        int[] answer = tokenizer.encode(r.answer());
        int[] seq = new int[context.length + cue.length + answer.length];
        System.arraycopy(context, 0, seq, 0, context.length);
        System.arraycopy(cue, 0, seq, context.length, cue.length);
        System.arraycopy(answer, 0, seq, context.length + cue.length, answer.length);
        if (seq.length > config.maxContext()) {
          throw new IllegalArgumentException(
              "prompt + trace + cue + answer exceeds maxContext " + config.maxContext());
        }
        answerStart[b] = seq.length - answer.length;
        sequences.add(seq);
        w = Math.max(w, seq.length);
      }
      count = batch.size();
      width = w;
      ids = new long[count * width];
      positions = new long[count * width];
      mask = new long[count * width];
      targets = new long[count * width];
      answerColumns = new float[count * width];
      for (int b = 0; b < count; b++) {
        int[] seq = sequences.get(b);
        for (int c = 0; c < width; c++) {
          int at = b * width + c;
          boolean real = c < seq.length;
          ids[at] = real ? seq[c] : tokenizer.padId();
          positions[at] = c;
          mask[at] = real ? 1 : 0;
          targets[at] = c + 1 < seq.length ? seq[c + 1] : tokenizer.padId();
          // Column c predicts token c + 1.
          answerColumns[at] = c + 1 >= answerStart[b] && c + 1 < seq.length ? 1f : 0f;
        }
      }
    }

    /** The summed log-probability of every row's answer tokens, a scalar. */
    NDArray answerLogProbs(NDManager manager, NDArray logits) {
      return logits
          .logSoftmax(-1)
          .gather(manager.create(targets, new Shape(count, width, 1)), -1)
          .squeeze(-1)
          .mul(manager.create(answerColumns, new Shape(count, width)))
          .sum();
    }
  }

  /**
   * Log-probabilities of {@code sequence[1:]} fed one token at a time through the key/value cache,
   * the way decoding runs: tests compare them with a full pass over the sequence.
   */
  float[] logProbsOneTokenAtATime(int[] sequence) {
    return locked(
        () -> {
          try (NDManager manager = parameters.newSubManager()) {
            float[] out = new float[sequence.length - 1];
            NDArray keys = null;
            NDArray values = null;
            for (int i = 0; i + 1 < sequence.length; i++) {
              long[] visible = new long[i + 1];
              java.util.Arrays.fill(visible, 1);
              NDList step =
                  forward(
                      manager,
                      new long[] {sequence[i]},
                      new long[] {i},
                      1,
                      1,
                      visible,
                      keys,
                      values);
              out[i] = step.get(0).logSoftmax(-1).toFloatArray()[sequence[i + 1]];
              keys = step.get(1);
              values = step.get(2);
            }
            return out;
          }
        });
  }

  @Override
  public void close() {
    locked(
        () -> {
          parameters.close();
          if (tokenizer instanceof AutoCloseable closeable) {
            closeQuietly(closeable);
          }
          return null;
        });
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed: {}", closeable, e.toString());
    }
  }
}
