package dev.rredcot.model.backend.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BackendKind;
import dev.rredcot.model.backend.BackendValues;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.DecodeState;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TokenSampler;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.tokenizer.HuggingFaceTokenizerAdapter;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A causal language model exported with TorchScript (a Hugging Face model or any decoder with the
 * same forward), run through DJL's PyTorch engine as a {@link PolicyBackend}: batched scoring with
 * entropies, answer and continuation-bank values that reuse each trace's keys and values across its
 * boundaries, and greedy or sampled generation with a KV cache.
 *
 * <p>A model directory holds {@code model-card.json} ({@link ModelCard}), the TorchScript file and
 * the {@code tokenizer.json} it names. The exported forward takes {@code (input_ids (B,T) int64,
 * position_ids (B,T) int64, attention_mask (B,P+T) int64, past_keys (B,L,H,P,D), past_values
 * (B,L,H,P,D))} and returns {@code (logits (B,T,V), present_keys (B,L,H,P+T,D), present_values)};
 * attention is causal by column and skips key columns whose mask is 0. Sequences are {@code [bos] +
 * tokens(prompt) + trace}, left-padded in batches with positions restarting at each row's first
 * real token.
 *
 * <p>Every public method takes an internal lock and works in its own NDManager, closed before it
 * returns; each decode step runs in a sub-manager of its own, so memory stays flat over a long
 * generation. Device: the GPU when the engine sees one, else the CPU.
 */
public final class TorchScriptCausalLm implements PolicyBackend {

  /** The model-directory kind for {@link dev.rredcot.model.loading.BackendKinds#register}. */
  public static final BackendKind KIND =
      new BackendKind() {
        @Override
        public String name() {
          return "torchscript";
        }

        @Override
        public String expectedFiles() {
          return ModelCard.FILE_NAME + " + the TorchScript model and tokenizer.json it names";
        }

        @Override
        public boolean recognises(Path dir) {
          return Files.isRegularFile(dir.resolve(ModelCard.FILE_NAME));
        }

        @Override
        public PolicyBackend open(Path dir) throws IOException {
          return TorchScriptCausalLm.open(dir);
        }
      };

  private static final Logger LOG = LoggerFactory.getLogger(TorchScriptCausalLm.class);

  /** No gradients or training: the export is run for inference only. */
  private static final Set<BackendCapability> CAPABILITIES =
      Set.of(BackendCapability.ENTROPIES, BackendCapability.GENERATION, BackendCapability.KV_REUSE);

  /** Rows per forward pass, to bound the memory of one pass. */
  private static final int MAX_ROWS = 64;

  private final Path dir;
  private final ModelCard card;
  private final HuggingFaceTokenizerAdapter tokenizer;
  private final Model model;
  private final TokenSampler sampler;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong forwardTokens = new AtomicLong();
  private volatile IntConsumer decodeStepObserver;

  private TorchScriptCausalLm(
      Path dir, ModelCard card, HuggingFaceTokenizerAdapter tokenizer, Model model) {
    this.dir = dir;
    this.card = card;
    this.tokenizer = tokenizer;
    this.model = model;
    this.sampler =
        new TokenSampler(
            card.vocabSize(),
            new int[] {tokenizer.padId(), tokenizer.bosId()},
            tokenizer.vocabSize());
  }

  /**
   * Opens the exported model in {@code dir}.
   *
   * @throws IOException when the card, the tokenizer or the TorchScript file is missing or does not
   *     fit the others
   */
  public static TorchScriptCausalLm open(Path dir) throws IOException {
    ModelCard card = ModelCard.read(dir);
    if (card.chatTemplate() != null) {
      throw new IOException(
          dir
              + ": the card names a chat template, which this backend does not apply; wrap the"
              + " prompts in it before they reach the credit job and set chatTemplate to null");
    }
    if (!card.modelFile().endsWith(".pt")) {
      throw new IOException(dir + ": modelFile must be a TorchScript .pt file");
    }
    Path modelFile = dir.resolve(card.modelFile());
    if (!Files.isRegularFile(modelFile)) {
      throw new IOException(dir + ": " + card.modelFile() + " is missing");
    }
    HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(
            dir.resolve(card.tokenizerFile()), card.padToken(), card.bosToken(), card.eosToken());
    try {
      if (tokenizer.vocabSize() > card.vocabSize()) {
        throw new IOException(
            dir
                + ": the tokenizer has "
                + tokenizer.vocabSize()
                + " ids, more than the model's vocabSize "
                + card.vocabSize());
      }
      Device device = TorchEngine.chooseDevice();
      String name = card.modelFile().substring(0, card.modelFile().length() - ".pt".length());
      Model model = Model.newInstance(name, device, "PyTorch");
      try {
        // mapLocation puts tensors saved on one device onto the model's device.
        model.load(dir, name, Map.of("mapLocation", "true"));
      } catch (MalformedModelException | IOException | RuntimeException e) {
        model.close();
        throw new IOException(dir + ": cannot load " + card.modelFile() + ": " + e.getMessage(), e);
      }
      TorchScriptCausalLm lm = new TorchScriptCausalLm(dir, card, tokenizer, model);
      try {
        lm.checkSignature();
      } catch (RuntimeException e) {
        model.close();
        throw new IOException(dir + ": " + e.getMessage(), e);
      }
      LOG.info("loaded TorchScript causal LM {} on {}", modelFile, device);
      return lm;
    } catch (IOException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * Runs the forward on {@code [bos]} and checks the shapes against the card, so an export with
   * another signature fails at open with the shapes it returned rather than inside a credit job.
   */
  private void checkSignature() {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList out =
          forward(
              manager,
              new long[] {tokenizer.bosId()},
              new long[] {0},
              1,
              1,
              new long[] {1},
              null,
              null);
      Shape present = new Shape(1, card.layers(), card.heads(), 1, card.headDim());
      Shape logits = new Shape(1, 1, card.vocabSize());
      if (!out.get(0).getShape().equals(logits)
          || !out.get(1).getShape().equals(present)
          || !out.get(2).getShape().equals(present)) {
        throw new IllegalStateException(
            "the forward returned shapes "
                + out.getShapes()[0]
                + ", "
                + out.getShapes()[1]
                + ", "
                + out.getShapes()[2]
                + " for one token; the card expects logits "
                + logits
                + " and present keys/values "
                + present);
      }
    }
  }

  /** The model card read at {@link #open}. */
  public ModelCard card() {
    return card;
  }

  @Override
  public String description() {
    return "torchscript " + dir.toAbsolutePath().normalize();
  }

  /** Always 0: an exported model carries no checkpoint version. */
  @Override
  public long version() {
    return 0;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public int maxContext() {
    return card.maxContext();
  }

  @Override
  public long forwardTokens() {
    return forwardTokens.get();
  }

  /** Tests watch {@link #liveArrays()} after every cached decode step through this. */
  void observeDecodeSteps(IntConsumer observer) {
    decodeStepObserver = observer;
  }

  /** Arrays held by the model's manager and its sub-managers, for leak checks in tests. */
  int liveArrays() {
    return ((BaseNDManager) model.getNDManager()).getManagedArrays().size();
  }

  /** {@code [bos] + tokens(prompt) + trace}. */
  private int[] context(String prompt, int[] trace) {
    int[] promptTokens = tokenizer.encode(prompt);
    int[] seq = new int[1 + promptTokens.length + trace.length];
    seq[0] = tokenizer.bosId();
    System.arraycopy(promptTokens, 0, seq, 1, promptTokens.length);
    System.arraycopy(trace, 0, seq, 1 + promptTokens.length, trace.length);
    return seq;
  }

  // ---------------------------------------------------------------- scoring

  @Override
  public List<float[]> logProbs(List<ScoreRequest> batch) {
    return scoreTraces(batch, false).stream().map(TraceScore::logProbs).toList();
  }

  /** Log-probabilities and entropies of every trace token, in padded batches. */
  @Override
  public List<TraceScore> score(List<ScoreRequest> batch) {
    return scoreTraces(batch, true);
  }

  private List<TraceScore> scoreTraces(List<ScoreRequest> batch, boolean withEntropies) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(
        () -> {
          List<int[]> sequences = new ArrayList<>();
          int[] traceLengths = new int[batch.size()];
          for (int q = 0; q < batch.size(); q++) {
            ScoreRequest r = batch.get(q);
            if (r.traceTokens().length == 0) {
              throw new IllegalArgumentException("cannot score an empty trace");
            }
            sequences.add(context(r.prompt(), r.traceTokens()));
            traceLengths[q] = r.traceTokens().length;
          }
          List<TraceScore> out = new ArrayList<>();
          for (int start = 0; start < sequences.size(); start += MAX_ROWS) {
            int end = Math.min(sequences.size(), start + MAX_ROWS);
            out.addAll(
                scoreTails(
                    sequences.subList(start, end),
                    Arrays.copyOfRange(traceLengths, start, end),
                    withEntropies));
          }
          return out;
        });
  }

  /**
   * One padded pass over {@code sequences}: the log-probabilities (and entropies, else null) of
   * each sequence's last {@code tails[i]} tokens.
   */
  private List<TraceScore> scoreTails(List<int[]> sequences, int[] tails, boolean withEntropies) {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      LeftPadded padded = new LeftPadded(sequences, tokenizer.padId(), card.maxContext());
      NDList out = prefill(manager, padded);
      NDArray logProbs = out.get(0).logSoftmax(-1);
      long[] targets = new long[padded.rows * padded.width];
      for (int b = 0; b < padded.rows; b++) {
        int[] seq = sequences.get(b);
        for (int i = 0; i + 1 < seq.length; i++) {
          targets[b * padded.width + padded.offsets[b] + i] = seq[i + 1];
        }
      }
      float[] tokenLp =
          logProbs
              .gather(manager.create(targets, new Shape(padded.rows, padded.width, 1)), -1)
              .toFloatArray();
      float[] entropy =
          withEntropies
              ? logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().toFloatArray()
              : null;
      List<TraceScore> scores = new ArrayList<>();
      for (int b = 0; b < padded.rows; b++) {
        int first = sequences.get(b).length - tails[b];
        float[] lp = new float[tails[b]];
        float[] h = withEntropies ? new float[tails[b]] : null;
        for (int j = 0; j < tails[b]; j++) {
          // Token first+j is predicted at the column of token first+j-1.
          int at = b * padded.width + padded.offsets[b] + first + j - 1;
          lp[j] = tokenLp[at];
          if (h != null) {
            h[j] = entropy[at];
          }
        }
        scores.add(new TraceScore(lp, h));
      }
      return scores;
    }
  }

  // ---------------------------------------------------------------- boundary values

  /**
   * Answer-probability values. With {@code reuseKvCache} one pass over each trace's whole context
   * yields its keys and values; then every boundary's row feeds only the prefix's last token, the
   * cue and the answer, attending to the cached prefix keys before the boundary. Without it every
   * prefix + cue + answer is scored in full ({@link BackendValues#answerValues}); the two agree to
   * float rounding.
   */
  @Override
  public List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
    if (!reuseKvCache) {
      return BackendValues.answerValues(this, batch);
    }
    return inChunks(batch, this::answerValuesReusingPrefixes);
  }

  /**
   * Continuation-bank values. With {@code reuseKvCache} each trace's context is run once and every
   * aligned remainder of every boundary is scored in a row that attends to the cached prefix, as
   * for {@link #answerValues}; without it every prefix + remainder is scored in full ({@link
   * BackendValues#bankValues}). Remainders that do not fit maxContext after their prefix are left
   * out in both.
   */
  @Override
  public List<double[]> bankValues(List<BankRequest> batch, boolean reuseKvCache) {
    if (!reuseKvCache) {
      return BackendValues.bankValues(this, batch);
    }
    return inChunks(batch, this::bankValuesReusingPrefixes);
  }

  /**
   * Values of {@code batch} in chunks of at most {@link #MAX_ROWS} requests, each under the lock.
   */
  private <T> List<double[]> inChunks(List<T> batch, Function<List<T>, List<double[]>> values) {
    List<double[]> out = new ArrayList<>();
    for (int start = 0; start < batch.size(); start += MAX_ROWS) {
      List<T> chunk = batch.subList(start, Math.min(batch.size(), start + MAX_ROWS));
      out.addAll(locked(() -> values.apply(chunk)));
    }
    return out;
  }

  /**
   * Tokens scored after the first {@code prefixLength} tokens of context {@code request}: {@code
   * input} is the prefix's last token (fed again so that its output predicts the next token)
   * followed by the continuation; the log-probabilities of input tokens {@code scoredFrom + 1} to
   * the end are summed.
   */
  private record BoundaryRow(int request, int prefixLength, int[] input, int scoredFrom) {
    static BoundaryRow of(int request, int[] context, int prefixLength, int[]... continuation) {
      int length = 1;
      for (int[] part : continuation) {
        length += part.length;
      }
      int[] input = new int[length];
      input[0] = context[prefixLength - 1];
      int at = 1;
      for (int[] part : continuation) {
        System.arraycopy(part, 0, input, at, part.length);
        at += part.length;
      }
      return new BoundaryRow(request, prefixLength, input, 0);
    }

    BoundaryRow scoringFrom(int skipped) {
      return new BoundaryRow(request, prefixLength, input, skipped);
    }
  }

  private List<double[]> answerValuesReusingPrefixes(List<ValueRequest> batch) {
    List<int[]> contexts = new ArrayList<>();
    List<BoundaryRow> rows = new ArrayList<>();
    for (int q = 0; q < batch.size(); q++) {
      ValueRequest r = batch.get(q);
      int[] cue = tokenizer.encode(r.answerCue());
      int[] answer = tokenizer.encode(r.answer());
      int[] full = context(r.prompt(), r.traceTokens());
      contexts.add(full);
      int promptLength = full.length - r.traceTokens().length;
      for (int b : r.boundaries()) {
        int prefixLength = promptLength + b;
        if (prefixLength + cue.length + answer.length > card.maxContext()) {
          throw new IllegalArgumentException(
              "prefix + cue + answer exceeds maxContext " + card.maxContext());
        }
        // The cue conditions the answer but is not scored.
        rows.add(BoundaryRow.of(q, full, prefixLength, cue, answer).scoringFrom(cue.length));
      }
    }
    double[] sums = sumsAfterPrefixes(contexts, rows);
    List<double[]> out = new ArrayList<>();
    int row = 0;
    for (ValueRequest r : batch) {
      double[] v = new double[r.boundaries().length];
      for (int i = 0; i < v.length; i++, row++) {
        v[i] = Math.exp(sums[row]);
      }
      out.add(v);
    }
    return out;
  }

  private List<double[]> bankValuesReusingPrefixes(List<BankRequest> batch) {
    List<int[]> contexts = new ArrayList<>();
    List<BoundaryRow> rows = new ArrayList<>();
    // lengths.get(q)[i]: token counts of boundary i's remainders, in row order.
    List<int[][]> lengths = new ArrayList<>();
    for (int q = 0; q < batch.size(); q++) {
      BankRequest r = batch.get(q);
      int[] trace = r.traceTokens();
      int[] full = context(r.prompt(), trace);
      contexts.add(full);
      int promptLength = full.length - trace.length;
      int[][] perBoundary = new int[r.boundaries().length][];
      for (int i = 0; i < perBoundary.length; i++) {
        int b = r.boundaries()[i];
        List<Integer> kept = new ArrayList<>();
        for (String u : r.remaindersAfter(tokenizer.decode(Arrays.copyOf(trace, b)))) {
          int[] suffix = tokenizer.encode(u);
          if (promptLength + b + suffix.length > card.maxContext()) {
            continue;
          }
          rows.add(BoundaryRow.of(q, full, promptLength + b, suffix));
          kept.add(suffix.length);
        }
        perBoundary[i] = kept.stream().mapToInt(Integer::intValue).toArray();
      }
      lengths.add(perBoundary);
    }
    double[] sums = sumsAfterPrefixes(contexts, rows);
    List<double[]> out = new ArrayList<>();
    int row = 0;
    for (int q = 0; q < batch.size(); q++) {
      int[][] perBoundary = lengths.get(q);
      double[] v = new double[perBoundary.length];
      for (int i = 0; i < v.length; i++) {
        double[] remainderSums = Arrays.copyOfRange(sums, row, row + perBoundary[i].length);
        row += perBoundary[i].length;
        v[i] = batch.get(q).aggregation().combine(remainderSums, perBoundary[i]);
      }
      out.add(v);
    }
    return out;
  }

  /**
   * One padded pass over {@code contexts} for their keys and values, then each row in chunks
   * against its context's cached prefix: the summed log-probability of each row's scored tokens.
   */
  private double[] sumsAfterPrefixes(List<int[]> contexts, List<BoundaryRow> rows) {
    double[] sums = new double[rows.size()];
    if (rows.isEmpty()) {
      return sums;
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      LeftPadded padded = new LeftPadded(contexts, tokenizer.padId(), card.maxContext());
      NDList prefill = prefill(manager, padded);
      prefill.get(0).close();
      NDArray keys = prefill.get(1);
      NDArray values = prefill.get(2);
      for (int start = 0; start < rows.size(); start += MAX_ROWS) {
        int end = Math.min(rows.size(), start + MAX_ROWS);
        try (NDManager chunk = manager.newSubManager()) {
          scoreBoundaryRows(chunk, padded, keys, values, rows.subList(start, end), sums, start);
        }
      }
    }
    return sums;
  }

  /** Writes each row's summed log-probability into {@code sums[first + r]}. */
  private void scoreBoundaryRows(
      NDManager chunk,
      LeftPadded contexts,
      NDArray keys,
      NDArray values,
      List<BoundaryRow> rows,
      double[] sums,
      int first) {
    int count = rows.size();
    int width = rows.stream().mapToInt(r -> r.input().length).max().orElse(1);
    int columns = contexts.width + width;
    long[] ids = new long[count * width];
    long[] positions = new long[count * width];
    long[] targets = new long[count * width];
    long[] mask = new long[count * columns];
    long[] source = new long[count];
    long real = 0;
    for (int r = 0; r < count; r++) {
      BoundaryRow row = rows.get(r);
      int offset = contexts.offsets[row.request()];
      source[r] = row.request();
      // The cached prefix minus its last token, which the row feeds itself.
      for (int j = offset; j < offset + row.prefixLength() - 1; j++) {
        mask[r * columns + j] = 1;
      }
      int[] input = row.input();
      real += input.length;
      for (int s = 0; s < width; s++) {
        int at = r * width + s;
        boolean isReal = s < input.length;
        ids[at] = isReal ? input[s] : tokenizer.padId();
        positions[at] = isReal ? row.prefixLength() - 1 + s : 0;
        targets[at] = s + 1 < input.length ? input[s + 1] : tokenizer.padId();
        mask[r * columns + contexts.width + s] = isReal ? 1 : 0;
      }
    }
    NDArray index = chunk.create(source);
    NDArray rowKeys = keys.get(index);
    NDArray rowValues = values.get(index);
    // The selected copies belong to this chunk, so they are freed with it.
    rowKeys.attach(chunk);
    rowValues.attach(chunk);
    NDList out = forward(chunk, ids, positions, count, width, mask, rowKeys, rowValues);
    forwardTokens.addAndGet(real);
    float[] lp =
        out.get(0)
            .logSoftmax(-1)
            .gather(chunk.create(targets, new Shape(count, width, 1)), -1)
            .toFloatArray();
    for (int r = 0; r < count; r++) {
      BoundaryRow row = rows.get(r);
      double sum = 0;
      for (int s = row.scoredFrom(); s < row.input().length - 1; s++) {
        sum += lp[r * width + s];
      }
      sums[first + r] = sum;
    }
  }

  // ---------------------------------------------------------------- generation

  /**
   * Samples a continuation for every request. Each sequence stops at eos, at the newline ending its
   * answer line, after {@code maxTokens} or at maxContext; pad and bos are never sampled; reported
   * log-probabilities and entropies are those of the untempered distribution. Rows are sampled in
   * request order with and without the KV cache, so a seed gives the same draws in both modes.
   */
  @Override
  public List<Sample> generate(List<GenerationRequest> requests, GenerationOptions options) {
    Objects.requireNonNull(options, "options");
    if (requests.isEmpty()) {
      return List.of();
    }
    return locked(
        () -> {
          List<DecodeState> states = new ArrayList<>();
          for (GenerationRequest r : requests) {
            states.add(newState(r));
          }
          SplittableRandom random = new SplittableRandom(options.seed());
          if (options.useKvCache()) {
            generateWithCache(states, options, random);
          } else {
            generateWithoutCache(states, options, random);
          }
          return states.stream().map(DecodeState::toSample).toList();
        });
  }

  private void generateWithCache(
      List<DecodeState> states, GenerationOptions options, SplittableRandom random) {
    int rows = states.size();
    int vocab = card.vocabSize();
    try (NDManager manager = model.getNDManager().newSubManager()) {
      LeftPadded prefill =
          new LeftPadded(
              states.stream().map(s -> s.context()).toList(), tokenizer.padId(), card.maxContext());
      // visible[b][c]: column c of row b holds a real token later queries may attend to.
      boolean[][] visible = new boolean[rows][prefill.width + options.maxTokens()];
      for (int b = 0; b < rows; b++) {
        for (int c = prefill.offsets[b]; c < prefill.width; c++) {
          visible[b][c] = true;
        }
      }
      NDList out =
          forward(
              manager,
              prefill.ids,
              prefill.positions,
              rows,
              prefill.width,
              prefill.mask,
              null,
              null);
      forwardTokens.addAndGet(prefill.realTokens);
      float[] last = lastColumnLogProbs(out.get(0));
      NDArray keys = out.get(1);
      NDArray values = out.get(2);
      int column = prefill.width;
      while (true) {
        long[] next = new long[rows];
        long[] positions = new long[rows];
        long active = 0;
        for (int b = 0; b < rows; b++) {
          DecodeState s = states.get(b);
          next[b] = tokenizer.padId();
          if (s.done()) {
            continue;
          }
          float[] row = Arrays.copyOfRange(last, b * vocab, (b + 1) * vocab);
          int token = sampler.sample(row, options, random);
          s.accept(token, row, options);
          if (!s.done()) {
            next[b] = token;
            positions[b] = s.length() - 1;
            visible[b][column] = true;
            active++;
          }
        }
        if (active == 0) {
          break;
        }
        int columns = column + 1;
        long[] mask = new long[rows * columns];
        for (int b = 0; b < rows; b++) {
          for (int c = 0; c < columns; c++) {
            mask[b * columns + c] = visible[b][c] ? 1 : 0;
          }
        }
        try (NDManager step = manager.newSubManager()) {
          // The old cache goes with the step; the new one, which contains it, stays with the call.
          keys.attach(step);
          values.attach(step);
          NDList stepOut = forward(step, next, positions, rows, 1, mask, keys, values);
          last = lastColumnLogProbs(stepOut.get(0));
          keys = stepOut.get(1);
          values = stepOut.get(2);
          keys.attach(manager);
          values.attach(manager);
        }
        forwardTokens.addAndGet(active);
        column++;
        IntConsumer observer = decodeStepObserver;
        if (observer != null) {
          observer.accept(liveArrays());
        }
      }
    }
  }

  private void generateWithoutCache(
      List<DecodeState> states, GenerationOptions options, SplittableRandom random) {
    int vocab = card.vocabSize();
    while (true) {
      List<DecodeState> active = states.stream().filter(s -> !s.done()).toList();
      if (active.isEmpty()) {
        return;
      }
      float[] last;
      try (NDManager manager = model.getNDManager().newSubManager()) {
        LeftPadded padded =
            new LeftPadded(
                active.stream().map(DecodeState::sequence).toList(),
                tokenizer.padId(),
                card.maxContext());
        NDList out = prefill(manager, padded);
        last = lastColumnLogProbs(out.get(0));
      }
      for (int a = 0; a < active.size(); a++) {
        float[] row = Arrays.copyOfRange(last, a * vocab, (a + 1) * vocab);
        active.get(a).accept(sampler.sample(row, options, random), row, options);
      }
    }
  }

  private static float[] lastColumnLogProbs(NDArray logits) {
    long width = logits.getShape().get(1);
    return logits.get(":, {}, :", width - 1).logSoftmax(-1).toFloatArray();
  }

  /** One sequence being generated: its context, the tokens so far and why it stopped. */

  // ---------------------------------------------------------------- the forward pass

  /**
   * Runs the exported forward on arrays created in {@code manager} (its outputs belong there too).
   * A null past is the empty past of length 0.
   */
  /** One pass over left-padded sequences from an empty past, counted in the forward tokens. */
  private NDList prefill(NDManager manager, LeftPadded padded) {
    NDList out =
        forward(
            manager,
            padded.ids,
            padded.positions,
            padded.rows,
            padded.width,
            padded.mask,
            null,
            null);
    forwardTokens.addAndGet(padded.realTokens);
    return out;
  }

  private NDList forward(
      NDManager manager,
      long[] ids,
      long[] positions,
      int rows,
      int width,
      long[] mask,
      NDArray pastKeys,
      NDArray pastValues) {
    Shape emptyPast = new Shape(rows, card.layers(), card.heads(), 0, card.headDim());
    NDList inputs =
        new NDList(
            manager.create(ids, new Shape(rows, width)),
            manager.create(positions, new Shape(rows, width)),
            manager.create(mask, new Shape(rows, mask.length / rows)),
            pastKeys != null ? pastKeys : manager.zeros(emptyPast),
            pastValues != null ? pastValues : manager.zeros(emptyPast));
    NDList out = model.getBlock().forward(new ParameterStore(manager, false), inputs, false);
    if (out.size() != 3) {
      throw new IllegalStateException(
          description()
              + ": the forward returned "
              + out.size()
              + " tensors; expected logits, present keys and present values");
    }
    return out;
  }

  /** Token sequences left-padded to one width, with positions and an attention mask. */
  private static final class LeftPadded {
    final int rows;
    final int width;
    final int[] offsets;
    final long[] ids;
    final long[] positions;
    final long[] mask;
    final long realTokens;

    LeftPadded(List<int[]> sequences, int padId, int maxContext) {
      rows = sequences.size();
      int w = 0;
      long real = 0;
      for (int[] seq : sequences) {
        if (seq.length > maxContext) {
          throw new IllegalArgumentException(
              "sequence of " + seq.length + " tokens exceeds maxContext " + maxContext);
        }
        w = Math.max(w, seq.length);
        real += seq.length;
      }
      width = w;
      realTokens = real;
      offsets = new int[rows];
      ids = new long[rows * width];
      positions = new long[rows * width];
      mask = new long[rows * width];
      for (int b = 0; b < rows; b++) {
        int[] seq = sequences.get(b);
        offsets[b] = width - seq.length;
        for (int c = 0; c < width; c++) {
          int i = c - offsets[b];
          ids[b * width + c] = i >= 0 ? seq[i] : padId;
          positions[b * width + c] = Math.max(i, 0);
          mask[b * width + c] = i >= 0 ? 1 : 0;
        }
      }
    }
  }

  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      model.close();
      tokenizer.close();
    } finally {
      lock.unlock();
    }
  }

  private DecodeState newState(GenerationRequest request) {
    return new DecodeState(
        context(request.prompt(), request.forcedPrefixTokens()),
        request.forcedPrefixTokens(),
        tokenizer,
        card.maxContext());
  }
}
