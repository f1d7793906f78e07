package dev.rredcot.model.backend;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * A causal language model with a key/value cache, as a {@link PolicyBackend}: batched scoring with
 * entropies, answer and continuation-bank values that reuse each trace's keys and values across its
 * boundaries, and greedy or sampled generation with a KV cache, all over one step function that a
 * subclass supplies ({@link #forward}). One decode loop and one scoring path, many models: the
 * TorchScript export and the DJL Llama run through the same code.
 *
 * <p>The step function takes {@code (input_ids (B,T), position_ids (B,T), attention_mask (B,P+T),
 * past keys, past values)} and returns {@code (logits (B,T,V), present keys, present values)}, the
 * present arrays having the past's layout with P+T positions on axis 3 and rows on axis 0;
 * attention is causal by column and skips key columns whose mask is 0. Sequences are {@code [bos] +
 * tokens(prompt) + trace}, left-padded in batches with positions restarting at each row's first
 * real token.
 *
 * <p>Every public method takes an internal lock and works in its own NDManager, closed before it
 * returns; each decode step runs in a sub-manager of its own, so memory stays flat over a long
 * generation.
 */
public abstract class CachedCausalLm implements PolicyBackend {

  /** Rows per forward pass, to bound the memory of one pass. */
  private static final int MAX_ROWS = 64;

  private final Tokenizer tokenizer;
  private final int vocabSize;
  private final int maxContext;
  private final TokenSampler sampler;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong forwardTokens = new AtomicLong();
  private volatile IntConsumer decodeStepObserver;

  /**
   * @param tokenizer the ids this model scores
   * @param vocabSize length of the model's logit rows (at least the tokenizer's vocabulary)
   * @param maxContext most positions one sequence may have
   */
  protected CachedCausalLm(Tokenizer tokenizer, int vocabSize, int maxContext) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.vocabSize = vocabSize;
    this.maxContext = maxContext;
    this.sampler =
        new TokenSampler(
            vocabSize, new int[] {tokenizer.padId(), tokenizer.bosId()}, tokenizer.vocabSize());
  }

  /** The manager that owns the model's parameters; every call works in a sub-manager of it. */
  protected abstract NDManager rootManager();

  /**
   * Runs the model's step function on arrays created in {@code manager} (its outputs belong there
   * too); a null past is the empty past of length 0.
   *
   * @param ids (rows * width) token ids, row-major
   * @param positions (rows * width) position of each token in its sequence
   * @param mask (rows * columns) 1 where a key column (past, then these tokens) may be attended to
   * @return logits (rows, width, vocab), present keys and present values
   */
  protected abstract NDList forward(
      NDManager manager,
      long[] ids,
      long[] positions,
      int rows,
      int width,
      long[] mask,
      NDArray pastKeys,
      NDArray pastValues);

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

  /** Tests watch {@link #liveArrays()} after every cached decode step through this. */
  public void observeDecodeSteps(IntConsumer observer) {
    decodeStepObserver = observer;
  }

  /** Arrays held by the model's manager and its sub-managers, for leak checks in tests. */
  public int liveArrays() {
    return ((BaseNDManager) rootManager()).getManagedArrays().size();
  }

  /**
   * {@code [bos] + tokens(promptText(prompt)) + trace}, without bos when the tokenizer {@link
   * Tokenizer#addsBos() adds none} (Qwen-style vocabularies have no beginning-of-sequence token).
   */
  protected final int[] context(String prompt, int[] trace) {
    int[] promptTokens = tokenizer.encode(promptText(prompt));
    int head = tokenizer.addsBos() ? 1 : 0;
    int[] seq = new int[head + promptTokens.length + trace.length];
    if (head == 1) {
      seq[0] = tokenizer.bosId();
    }
    System.arraycopy(promptTokens, 0, seq, head, promptTokens.length);
    System.arraycopy(trace, 0, seq, head + promptTokens.length, trace.length);
    return seq;
  }

  /**
   * The text a prompt is encoded from; the identity unless a backend wraps prompts (e.g. in a chat
   * template).
   */
  protected String promptText(String prompt) {
    return prompt;
  }

  @Override
  public int contextLength(String prompt, int traceTokens) {
    return context(prompt, new int[0]).length + traceTokens;
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
    try (NDManager manager = rootManager().newSubManager()) {
      LeftPadded padded = new LeftPadded(sequences, tokenizer.padId(), maxContext);
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
        if (prefixLength + cue.length + answer.length > maxContext) {
          throw new IllegalArgumentException(
              "prefix + cue + answer exceeds maxContext " + maxContext);
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
          if (promptLength + b + suffix.length > maxContext) {
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
    try (NDManager manager = rootManager().newSubManager()) {
      LeftPadded padded = new LeftPadded(contexts, tokenizer.padId(), maxContext);
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
    int vocab = vocabSize;
    try (NDManager manager = rootManager().newSubManager()) {
      LeftPadded prefill =
          new LeftPadded(
              states.stream().map(s -> s.context()).toList(), tokenizer.padId(), maxContext);
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
    int vocab = vocabSize;
    while (true) {
      List<DecodeState> active = states.stream().filter(s -> !s.done()).toList();
      if (active.isEmpty()) {
        return;
      }
      float[] last;
      try (NDManager manager = rootManager().newSubManager()) {
        LeftPadded padded =
            new LeftPadded(
                active.stream().map(DecodeState::sequence).toList(), tokenizer.padId(), maxContext);
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

  // ---------------------------------------------------------------- the forward pass

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

  /**
   * Runs {@code body} under the lock every public call takes (subclasses close under it), with
   * autograd recording off: a model whose parameters require gradients (one that trains) records no
   * graph while it scores or generates. A {@code GradientCollector} opened inside turns recording
   * on for its own scope.
   */
  protected final <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return TorchEngine.withoutGradients(body);
    } finally {
      lock.unlock();
    }
  }

  private DecodeState newState(GenerationRequest request) {
    return new DecodeState(
        context(request.prompt(), request.forcedPrefixTokens()),
        request.forcedPrefixTokens(),
        tokenizer,
        maxContext);
  }
}
