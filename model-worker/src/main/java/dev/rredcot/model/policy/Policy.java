package dev.rredcot.model.policy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy language model: a small decoder-only pre-LN transformer on DJL's PyTorch engine with
 * batched KV-cached generation, trace scoring, boundary values (answer probability and continuation
 * bank), gradient-times-input attribution and PPO / supervised training steps.
 *
 * <p>Model input is {@code [bos] + tokens(prompt) + trace tokens} (plus eos when training on a
 * finished trace). Every public method takes an internal lock, so one instance may be shared by
 * threads (calls are serialised); every call works in its own NDManager, closed before it returns.
 *
 * <p>Device: the GPU when DJL finds one, else the CPU (logged at creation). The GPU build is the
 * root pom's {@code gpu} profile, which swaps {@code pytorch-native-cpu} for {@code
 * pytorch-native-cu124}: {@code mvn -B -o -Pgpu -pl model-worker install}.
 *
 * <p>Answer-probability values are the product probability of the answer tokens (their summed
 * log-probability, no length normalisation), teacher-forced after {@code prefix + cue}; the cue
 * tokens condition but are not scored. Continuation-bank values score aligned remainders of correct
 * solutions, cue included, and combine them as a named {@link BankAggregation}.
 *
 * <p>Threads: PyTorch runs one intra-op thread unless {@code -Dai.djl.pytorch.num_threads=N} is
 * set; on small shared CPUs that is many times faster than its default.
 *
 * <p>{@link #forwardTokens()} counts the real (non-padding) token positions fed through the
 * network, so the figure does not depend on how requests were batched; with a KV cache a cached
 * position is not counted again.
 */
public final class Policy implements PolicyBackend {

  /** File name of the parameters inside a checkpoint directory. */
  public static final String PARAMS_FILE = "model.params";

  /** DJL's system property for PyTorch intra-op threads; unset means 1 (see class Javadoc). */
  public static final String INTRA_OP_THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  private static final Logger LOG = LoggerFactory.getLogger(Policy.class);
  private static final double ADAM_BETA1 = 0.9;
  private static final double ADAM_BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  /** Rows per batched pass when scoring many boundary suffixes, to bound memory. */
  private static final int MAX_SUFFIX_ROWS = 128;

  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final TransformerNetwork network;
  private static final ReentrantLock GRADIENT_LOCK = new ReentrantLock();
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong forwardTokens = new AtomicLong();
  private final Map<String, NDArray[]> adamMoments = new HashMap<>();
  private long adamSteps;
  private volatile long version;

  private Policy(
      ModelConfig config, Tokenizer tokenizer, TransformerNetwork network, long version) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.network = network;
    this.version = version;
  }

  /** Creates a freshly initialised policy (version 0) on the automatically chosen device. */
  public static Policy create(ModelConfig config, Tokenizer tokenizer, long seed) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(tokenizer, "tokenizer");
    if (config.vocabSize() != tokenizer.vocabSize()) {
      throw new IllegalArgumentException(
          "config.vocabSize "
              + config.vocabSize()
              + " differs from the tokenizer's "
              + tokenizer.vocabSize());
    }
    Device device = chooseDevice();
    return new Policy(config, tokenizer, TransformerNetwork.initialise(config, device, seed), 0);
  }

  /**
   * Loads a checkpoint after verifying every file against its manifest (and the manifest against
   * {@link Checkpoint#manifestSha256()}): reads {@code model-config.json}, {@code model.params} and
   * the tokenizer.
   *
   * @throws dev.rredcot.model.checkpoint.CheckpointVerificationException when the directory does
   *     not match its manifest
   * @throws IOException when a file is missing or does not fit the configuration
   */
  public static Policy load(Checkpoint checkpoint) throws IOException {
    Checkpoint verified = CheckpointStore.verify(checkpoint.dir(), checkpoint.manifestSha256());
    ModelConfig config = ModelConfig.read(verified.file(ModelConfig.FILE_NAME));
    Tokenizer tokenizer = Tokenizer.load(verified.dir());
    if (config.vocabSize() != tokenizer.vocabSize()) {
      throw new IOException(
          verified.dir()
              + ": model vocabSize "
              + config.vocabSize()
              + " != tokenizer's "
              + tokenizer.vocabSize());
    }
    TransformerNetwork network =
        TransformerNetwork.load(config, chooseDevice(), verified.file(PARAMS_FILE));
    LOG.info("loaded policy version {} from {}", verified.version(), verified.dir());
    return new Policy(config, tokenizer, network, verified.version());
  }

  /**
   * Writes this policy as checkpoint {@code version} (config, parameters, tokenizer) and adopts
   * that version.
   */
  public Checkpoint save(
      CheckpointStore store, long version, Long parentVersion, Map<String, Double> metrics)
      throws IOException {
    lock.lock();
    try {
      Checkpoint checkpoint =
          store.write(
              version,
              parentVersion,
              metrics,
              dir -> {
                config.write(dir.resolve(ModelConfig.FILE_NAME));
                network.save(dir.resolve(PARAMS_FILE));
                tokenizer.save(dir);
              });
      this.version = version;
      return checkpoint;
    } finally {
      lock.unlock();
    }
  }

  static Device chooseDevice() {
    Engine engine = Engine.getEngine("PyTorch");
    if (System.getProperty(INTRA_OP_THREADS_PROPERTY) == null) {
      // PyTorch's spinning intra-op threads slow every JVM down when several share few cores
      // (docs/BENCHMARKS.md, "Settings chosen by measurement"); DJL's property still overrides.
      JniUtils.setNumThreads(1);
    }
    Device device = engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    LOG.info(
        "policy device: {} (PyTorch {}, {} GPU(s) visible, {} intra-op thread(s))",
        device,
        engine.getVersion(),
        engine.getGpuCount(),
        JniUtils.getNumThreads());
    return device;
  }

  /** Policy version (the checkpoint version it was loaded from or saved as). */
  @Override
  public long version() {
    return version;
  }

  void setVersion(long version) {
    this.version = version;
  }

  /** The tokenizer the policy was trained with. */
  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  private static final Set<BackendCapability> CAPABILITIES =
      Collections.unmodifiableSet(EnumSet.allOf(BackendCapability.class));

  @Override
  public String description() {
    return "builtin v" + version;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public int maxContext() {
    return config.maxContext();
  }

  /** The trace log-probabilities of {@link #score} (the entropies are computed and dropped). */
  @Override
  public List<float[]> logProbs(List<ScoreRequest> batch) {
    List<float[]> out = new ArrayList<>();
    for (TraceScore score : score(batch)) {
      out.add(score.logProbs());
    }
    return out;
  }

  /** Model sizes. */
  public ModelConfig config() {
    return config;
  }

  TransformerNetwork network() {
    return network;
  }

  /** Number of trainable parameters. */
  public long parameterCount() {
    long n = 0;
    for (NDArray p : network.parameters().values()) {
      n += p.getShape().size();
    }
    return n;
  }

  /** Cumulative real token positions run through the network by this instance. */
  @Override
  public long forwardTokens() {
    return forwardTokens.get();
  }

  /** {@code [bos] + tokens(prompt) + trace}. */
  int[] context(String prompt, int[] trace) {
    int[] promptTokens = tokenizer.encode(prompt);
    int[] seq = new int[1 + promptTokens.length + trace.length];
    seq[0] = tokenizer.bosId();
    System.arraycopy(promptTokens, 0, seq, 1, promptTokens.length);
    System.arraycopy(trace, 0, seq, 1 + promptTokens.length, trace.length);
    return seq;
  }

  // ---------------------------------------------------------------- generation

  /**
   * Samples a continuation for every request in one batch. Each sequence stops at eos, at the
   * newline ending its answer line, after {@code maxTokens} or at maxContext. Pad and bos are never
   * sampled; reported log-probabilities and entropies are those of the untempered model
   * distribution (what {@link #score} returns for the same tokens). With the KV cache, identical
   * requests (same prompt and forced prefix) are prefilled once and share that pass's keys and
   * values, and {@link #forwardTokens()} counts the prefill once; rows are still sampled in request
   * order, so a seed gives the same draws as without the cache.
   */
  @Override
  public List<Sample> generate(List<GenerationRequest> requests, GenerationOptions options) {
    Objects.requireNonNull(options, "options");
    if (requests.isEmpty()) {
      return List.of();
    }
    return locked(
        () ->
            options.useKvCache()
                ? generateWithCache(requests, options)
                : generateWithoutCache(requests, options));
  }

  private final class GenerationState {
    final int[] context;
    final List<Integer> tokens = new ArrayList<>();
    final List<Float> logProbs = new ArrayList<>();
    final List<Float> entropies = new ArrayList<>();
    final StringBuilder currentLine = new StringBuilder();
    Sample.StopReason stopReason;

    GenerationState(GenerationRequest request) {
      context = context(request.prompt(), request.forcedPrefixTokens());
      if (context.length >= config.maxContext()) {
        throw new IllegalArgumentException(
            "prompt + forced prefix is "
                + context.length
                + " tokens, no room under maxContext "
                + config.maxContext());
      }
      String forced = tokenizer.decode(request.forcedPrefixTokens());
      currentLine.append(forced.substring(forced.lastIndexOf('\n') + 1));
    }

    int length() {
      return context.length + tokens.size();
    }

    boolean done() {
      return stopReason != null;
    }

    int[] sequence() {
      int[] seq = Arrays.copyOf(context, length());
      for (int i = 0; i < tokens.size(); i++) {
        seq[context.length + i] = tokens.get(i);
      }
      return seq;
    }

    void accept(int token, float[] rowLogProbs, GenerationOptions options) {
      tokens.add(token);
      logProbs.add(rowLogProbs[token]);
      entropies.add(entropy(rowLogProbs));
      if (token == tokenizer.eosId()) {
        stopReason = Sample.StopReason.EOS;
        return;
      }
      for (char ch : tokenizer.decode(new int[] {token}).toCharArray()) {
        if (ch == '\n') {
          if (currentLine.toString().startsWith(options.answerCue())) {
            stopReason = Sample.StopReason.ANSWER_LINE;
            return;
          }
          currentLine.setLength(0);
        } else {
          currentLine.append(ch);
        }
      }
      if (tokens.size() >= options.maxTokens()) {
        stopReason = Sample.StopReason.MAX_TOKENS;
      } else if (length() >= config.maxContext()) {
        stopReason = Sample.StopReason.MAX_CONTEXT;
      }
    }

    Sample toSample() {
      int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
      float[] lp = new float[ids.length];
      float[] ent = new float[ids.length];
      for (int i = 0; i < ids.length; i++) {
        lp[i] = logProbs.get(i);
        ent[i] = entropies.get(i);
      }
      return new Sample(ids, tokenizer.decode(ids), lp, ent, stopReason);
    }
  }

  private List<Sample> generateWithCache(
      List<GenerationRequest> requests, GenerationOptions options) {
    List<GenerationState> states = new ArrayList<>();
    for (GenerationRequest r : requests) {
      states.add(new GenerationState(r));
    }
    SplittableRandom random = new SplittableRandom(options.seed());
    int rows = states.size();
    int vocab = config.vocabSize();
    try (NDManager manager = network.parameterManager().newSubManager()) {
      // Identical requests (e.g. M Monte Carlo samples from one prefix) share one prefill pass:
      // source[b] is row b's distinct context, whose cached keys and values it gets a copy of.
      Map<String, Integer> distinctIndex = new HashMap<>();
      List<int[]> distinct = new ArrayList<>();
      long[] source = new long[rows];
      for (int b = 0; b < rows; b++) {
        int[] context = states.get(b).context;
        source[b] =
            distinctIndex.computeIfAbsent(
                Arrays.toString(context),
                key -> {
                  distinct.add(context);
                  return distinct.size() - 1;
                });
      }
      PaddedBatch batch = new PaddedBatch(distinct, config.maxContext());
      int maxColumns = batch.width + options.maxTokens();
      // keyVisible[b][c]: column c of row b holds a real token others may attend to.
      boolean[][] keyVisible = new boolean[rows][maxColumns];
      for (int b = 0; b < rows; b++) {
        for (int c = batch.offsets[(int) source[b]]; c < batch.width; c++) {
          keyVisible[b][c] = true;
        }
      }
      KvCache prefill = new KvCache(config.layers());
      NDArray logits =
          network.forward(
              network.embedTokens(batch.tokenIds(manager, tokenizer.padId())),
              batch.positionIds(manager),
              batch.attentionBias(manager),
              prefill);
      forwardTokens.addAndGet(batch.realTokens);
      float[] distinctLast = lastColumnLogProbs(logits);
      KvCache cache =
          distinct.size() == rows ? prefill : prefill.selectRows(manager.create(source));
      float[] last = new float[rows * vocab];
      for (int b = 0; b < rows; b++) {
        System.arraycopy(distinctLast, (int) source[b] * vocab, last, b * vocab, vocab);
      }
      int column = batch.width;
      while (true) {
        long[] next = new long[rows];
        long[] positions = new long[rows];
        long active = 0;
        for (int b = 0; b < rows; b++) {
          GenerationState s = states.get(b);
          if (s.done()) {
            next[b] = tokenizer.padId();
            continue;
          }
          float[] row = Arrays.copyOfRange(last, b * vocab, (b + 1) * vocab);
          int token = sampleToken(row, options, random);
          s.accept(token, row, options);
          if (!s.done()) {
            next[b] = token;
            positions[b] = s.length() - 1;
            keyVisible[b][column] = true;
            active++;
          } else {
            next[b] = tokenizer.padId();
          }
        }
        if (active == 0) {
          break;
        }
        int keys = column + 1;
        float[] bias = new float[rows * keys];
        for (int b = 0; b < rows; b++) {
          for (int j = 0; j < keys; j++) {
            bias[b * keys + j] = keyVisible[b][j] ? 0f : PaddedBatch.MASKED;
          }
        }
        // Each step's inputs and activations live in their own sub-manager, freed when the step
        // ends; only the KV cache (which belongs to the call's manager) carries over.
        try (NDManager step = manager.newSubManager()) {
          cache.attach(step);
          NDArray ids = step.create(next, new Shape(rows, 1));
          NDArray stepLogits =
              network.forward(
                  network.embedTokens(ids),
                  step.create(positions, new Shape(rows, 1)),
                  step.create(bias, new Shape(rows, 1, 1, keys)),
                  cache);
          last = lastColumnLogProbs(stepLogits);
          cache.attach(manager);
        }
        forwardTokens.addAndGet(active);
        column++;
      }
    }
    return states.stream().map(GenerationState::toSample).toList();
  }

  private List<Sample> generateWithoutCache(
      List<GenerationRequest> requests, GenerationOptions options) {
    List<GenerationState> states = new ArrayList<>();
    for (GenerationRequest r : requests) {
      states.add(new GenerationState(r));
    }
    SplittableRandom random = new SplittableRandom(options.seed());
    int vocab = config.vocabSize();
    while (true) {
      List<GenerationState> active = states.stream().filter(s -> !s.done()).toList();
      if (active.isEmpty()) {
        break;
      }
      float[] last;
      try (NDManager manager = network.parameterManager().newSubManager()) {
        PaddedBatch batch =
            new PaddedBatch(
                active.stream().map(GenerationState::sequence).toList(), config.maxContext());
        NDArray logits =
            network.forward(
                network.embedTokens(batch.tokenIds(manager, tokenizer.padId())),
                batch.positionIds(manager),
                batch.attentionBias(manager),
                null);
        forwardTokens.addAndGet(batch.realTokens);
        last = lastColumnLogProbs(logits);
      }
      // Rows are sampled in request order in both modes, so a seed gives the same draws.
      for (int a = 0; a < active.size(); a++) {
        float[] row = Arrays.copyOfRange(last, a * vocab, (a + 1) * vocab);
        active.get(a).accept(sampleToken(row, options, random), row, options);
      }
    }
    return states.stream().map(GenerationState::toSample).toList();
  }

  private static float[] lastColumnLogProbs(NDArray logits) {
    long width = logits.getShape().get(1);
    return logits.get(":, {}, :", width - 1).logSoftmax(-1).toFloatArray();
  }

  private int sampleToken(float[] logProbs, GenerationOptions options, SplittableRandom random) {
    int vocab = logProbs.length;
    boolean[] allowed = new boolean[vocab];
    Arrays.fill(allowed, true);
    allowed[tokenizer.padId()] = false;
    allowed[tokenizer.bosId()] = false;
    // The draw is consumed even for greedy decoding so both modes advance the generator alike.
    double u = random.nextDouble();
    if (options.temperature() == 0) {
      int best = -1;
      for (int v = 0; v < vocab; v++) {
        if (allowed[v] && (best < 0 || logProbs[v] > logProbs[best])) {
          best = v;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      if (allowed[v]) {
        max = Math.max(max, logProbs[v] / options.temperature());
      }
    }
    double[] p = new double[vocab];
    double total = 0;
    for (int v = 0; v < vocab; v++) {
      p[v] = allowed[v] ? Math.exp(logProbs[v] / options.temperature() - max) : 0;
      total += p[v];
    }
    for (int v = 0; v < vocab; v++) {
      p[v] /= total;
    }
    if (options.topP() < 1) {
      Integer[] order = new Integer[vocab];
      for (int v = 0; v < vocab; v++) {
        order[v] = v;
      }
      Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double kept = 0;
      boolean[] inNucleus = new boolean[vocab];
      for (int idx : order) {
        if (kept >= options.topP()) {
          break;
        }
        inNucleus[idx] = true;
        kept += p[idx];
      }
      for (int v = 0; v < vocab; v++) {
        p[v] = inNucleus[v] ? p[v] / kept : 0;
      }
    }
    double cumulative = 0;
    int lastAllowed = -1;
    for (int v = 0; v < vocab; v++) {
      if (p[v] > 0) {
        cumulative += p[v];
        lastAllowed = v;
        if (u < cumulative) {
          return v;
        }
      }
    }
    return lastAllowed;
  }

  private static float entropy(float[] logProbs) {
    double h = 0;
    for (float lp : logProbs) {
      h -= Math.exp(lp) * lp;
    }
    return (float) h;
  }

  // ---------------------------------------------------------------- scoring

  /** Log-probabilities and entropies of every trace token, in one padded forward pass. */
  @Override
  public List<TraceScore> score(List<ScoreRequest> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(
        () -> {
          List<int[]> seqs = new ArrayList<>();
          for (ScoreRequest r : batch) {
            if (r.traceTokens().length == 0) {
              throw new IllegalArgumentException("cannot score an empty trace");
            }
            seqs.add(context(r.prompt(), r.traceTokens()));
          }
          try (NDManager manager = network.parameterManager().newSubManager()) {
            PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
            NDArray logProbs = fullLogProbs(manager, padded, null);
            float[] tokenLp =
                logProbs
                    .gather(padded.nextTokenTargets(manager, tokenizer.padId()).expandDims(-1), -1)
                    .squeeze(-1)
                    .toFloatArray();
            float[] ent = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().toFloatArray();
            List<TraceScore> out = new ArrayList<>();
            for (int b = 0; b < batch.size(); b++) {
              int traceLength = batch.get(b).traceTokens().length;
              int first = seqs.get(b).length - traceLength;
              float[] lp = new float[traceLength];
              float[] h = new float[traceLength];
              for (int j = 0; j < traceLength; j++) {
                // Token at sequence index first+j is predicted at column of index first+j-1.
                int col = padded.column(b, first + j - 1);
                lp[j] = tokenLp[b * padded.width + col];
                h[j] = ent[b * padded.width + col];
              }
              out.add(new TraceScore(lp, h));
            }
            return out;
          }
        });
  }

  /** Log-softmax over the vocabulary for every column of a padded batch. */
  private NDArray fullLogProbs(NDManager manager, PaddedBatch padded, KvCache cache) {
    NDArray logits =
        network.forward(
            network.embedTokens(padded.tokenIds(manager, tokenizer.padId())),
            padded.positionIds(manager),
            padded.attentionBias(manager),
            cache);
    forwardTokens.addAndGet(padded.realTokens);
    return logits.logSoftmax(-1);
  }

  // ---------------------------------------------------------------- boundary values

  /**
   * Answer-probability values {@code p(answer | prompt + trace[0:b] + cue)} for every boundary b of
   * every request. With {@code reuseKvCache} one batched pass over every prompt + trace builds the
   * KV cache and all boundaries of all requests are scored in batched suffix passes (cue + answer
   * tokens attending to their request's cached prefix up to b); without it every prefix + suffix is
   * re-run in full. Both agree to float rounding.
   */
  @Override
  public List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(
        () -> {
          List<int[]> fulls = new ArrayList<>();
          List<SuffixRow> rows = new ArrayList<>();
          int[] cueLengths = new int[batch.size()];
          for (int q = 0; q < batch.size(); q++) {
            ValueRequest r = batch.get(q);
            int[] cue = tokenizer.encode(r.answerCue());
            int[] suffix = concat(cue, tokenizer.encode(r.answer()));
            cueLengths[q] = cue.length;
            int[] full = context(r.prompt(), r.traceTokens());
            fulls.add(full);
            int promptLength = full.length - r.traceTokens().length;
            for (int b : r.boundaries()) {
              rows.add(new SuffixRow(q, promptLength + b, suffix));
            }
          }
          float[][] lp =
              reuseKvCache
                  ? suffixLogProbsCached(fulls, rows).rows()
                  : suffixLogProbsRerun(fulls, rows);
          List<double[]> out = new ArrayList<>();
          int row = 0;
          for (int q = 0; q < batch.size(); q++) {
            double[] values = new double[batch.get(q).boundaries().length];
            for (int i = 0; i < values.length; i++, row++) {
              double sum = 0;
              for (int s = cueLengths[q]; s < lp[row].length; s++) {
                sum += lp[row][s];
              }
              values[i] = Math.exp(sum);
            }
            out.add(values);
          }
          return out;
        });
  }

  /**
   * Continuation-bank values {@code v(s_b) = sum_u p(u | s_b)} over the distinct remainders u (step
   * lines, cue and answer) that {@link BankRequest#remaindersAfter} aligns with each boundary,
   * combined in log space as the request's {@link BankAggregation} says.
   *
   * <p>With {@code reuseKvCache} one batched context pass scores every distinct sequence of the
   * batch once: each request's prompt + trace, and each bank text's prompt + steps + cue + answer
   * when that costs fewer tokens than the suffix rows it replaces (a trace equal to a bank text is
   * one sequence). A term whose prefix + remainder is one of these sequences (the trace's own rest,
   * or a bank text's rest after the same prompt and first lines) is the suffix sum of that
   * sequence's token log-probabilities; only the others (a trace that left every scored bank text,
   * or a cut inside a line) are scored as suffix rows against the trace's cached prefix. Without it
   * every prefix + remainder is re-run in full. Both agree to float rounding. A remainder that does
   * not fit maxContext after its prefix cannot be scored and is left out (the value stays a lower
   * bound); a boundary left with none has value 0.
   */
  @Override
  public List<double[]> bankValues(List<BankRequest> batch, boolean reuseKvCache) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(
        () -> {
          ScoredSequences sequences = new ScoredSequences();
          int[] traceSequence = new int[batch.size()];
          for (int q = 0; q < batch.size(); q++) {
            BankRequest r = batch.get(q);
            traceSequence[q] = sequences.add(context(r.prompt(), r.traceTokens()));
          }
          if (reuseKvCache) {
            addBankTextsWorthScoring(batch, sequences, traceSequence);
          }
          List<SuffixRow> rows = new ArrayList<>();
          // terms.get(q)[i]: boundary i's remainders, each a suffix row or a slice of a sequence.
          List<BankTerm[][]> terms = new ArrayList<>();
          for (int q = 0; q < batch.size(); q++) {
            BankRequest r = batch.get(q);
            int[] trace = r.traceTokens();
            int[] full = sequences.get(traceSequence[q]);
            int promptLength = full.length - trace.length;
            BankTerm[][] perBoundary = new BankTerm[r.boundaries().length][];
            for (int i = 0; i < perBoundary.length; i++) {
              int b = r.boundaries()[i];
              int from = promptLength + b;
              String own = tokenizer.decode(Arrays.copyOfRange(trace, b, trace.length));
              List<BankTerm> boundaryTerms = new ArrayList<>();
              for (String u : r.remaindersAfter(tokenizer.decode(Arrays.copyOf(trace, b)))) {
                if (reuseKvCache && u.equals(own)) {
                  boundaryTerms.add(BankTerm.slice(traceSequence[q], from));
                  continue;
                }
                int[] suffix = tokenizer.encode(u);
                if (from + suffix.length > config.maxContext()) {
                  continue;
                }
                int scored =
                    reuseKvCache
                        ? sequences.indexOf(concat(Arrays.copyOf(full, from), suffix))
                        : -1;
                if (scored >= 0) {
                  boundaryTerms.add(BankTerm.slice(scored, from));
                } else {
                  boundaryTerms.add(BankTerm.row(rows.size()));
                  rows.add(new SuffixRow(traceSequence[q], from, suffix));
                }
              }
              perBoundary[i] = boundaryTerms.toArray(new BankTerm[0]);
            }
            terms.add(perBoundary);
          }
          SuffixScores scores =
              reuseKvCache
                  ? suffixLogProbsCached(sequences.list, rows)
                  : new SuffixScores(suffixLogProbsRerun(sequences.list, rows), null);
          List<double[]> out = new ArrayList<>();
          for (int q = 0; q < batch.size(); q++) {
            BankRequest r = batch.get(q);
            double[] values = new double[r.boundaries().length];
            for (int i = 0; i < values.length; i++) {
              BankTerm[] boundaryTerms = terms.get(q)[i];
              double[] sums = new double[boundaryTerms.length];
              int[] lengths = new int[boundaryTerms.length];
              for (int k = 0; k < boundaryTerms.length; k++) {
                BankTerm term = boundaryTerms[k];
                float[] lp =
                    term.row() >= 0
                        ? scores.rows()[term.row()]
                        : Arrays.copyOfRange(
                            scores.contexts()[term.sequence()],
                            term.from(),
                            sequences.get(term.sequence()).length);
                for (float v : lp) {
                  sums[k] += v;
                }
                lengths[k] = lp.length;
              }
              values[i] = r.aggregation().combine(sums, lengths);
            }
            out.add(values);
          }
          return out;
        });
  }

  /**
   * Adds to {@code sequences} each bank text (prompt + steps + cue + answer) that is not a trace
   * and whose pass costs fewer tokens than the suffix rows it replaces: the remainders that
   * complete a trace prefix to exactly that text. A text shared by many traces of a group pays off
   * once; a text that one trace leaves in its first line does not.
   */
  private void addBankTextsWorthScoring(
      List<BankRequest> batch, ScoredSequences sequences, int[] traceSequence) {
    Map<IntBuffer, int[]> candidates = new LinkedHashMap<>();
    for (BankRequest r : batch) {
      for (List<String> steps : r.bankSteps()) {
        String text = String.join("", steps) + r.answerCue() + r.answer();
        int[] full = context(r.prompt(), tokenizer.encode(text));
        if (full.length <= config.maxContext() && sequences.indexOf(full) < 0) {
          candidates.putIfAbsent(IntBuffer.wrap(full), full);
        }
      }
    }
    Map<IntBuffer, Long> rowTokens = new HashMap<>();
    for (int q = 0; q < batch.size() && !candidates.isEmpty(); q++) {
      BankRequest r = batch.get(q);
      int[] trace = r.traceTokens();
      int[] full = sequences.get(traceSequence[q]);
      int promptLength = full.length - trace.length;
      for (int b : r.boundaries()) {
        String own = tokenizer.decode(Arrays.copyOfRange(trace, b, trace.length));
        for (String u : r.remaindersAfter(tokenizer.decode(Arrays.copyOf(trace, b)))) {
          if (u.equals(own)) {
            continue;
          }
          int[] suffix = tokenizer.encode(u);
          IntBuffer completed =
              IntBuffer.wrap(concat(Arrays.copyOf(full, promptLength + b), suffix));
          if (candidates.containsKey(completed)) {
            rowTokens.merge(completed, (long) suffix.length, Long::sum);
          }
        }
      }
    }
    for (Map.Entry<IntBuffer, int[]> candidate : candidates.entrySet()) {
      if (rowTokens.getOrDefault(candidate.getKey(), 0L) > candidate.getValue().length) {
        sequences.add(candidate.getValue());
      }
    }
  }

  /**
   * One remainder's log-probabilities: suffix row {@code row}, or (row −1) the tokens of scored
   * sequence {@code sequence} from index {@code from} to its end.
   */
  private record BankTerm(int row, int sequence, int from) {
    static BankTerm row(int row) {
      return new BankTerm(row, -1, -1);
    }

    static BankTerm slice(int sequence, int from) {
      return new BankTerm(-1, sequence, from);
    }
  }

  /** Distinct token sequences in first-seen order, found again by content. */
  private static final class ScoredSequences {
    final List<int[]> list = new ArrayList<>();
    private final Map<IntBuffer, Integer> index = new HashMap<>();

    /** Index of {@code sequence}, added when new. */
    int add(int[] sequence) {
      return index.computeIfAbsent(
          IntBuffer.wrap(sequence),
          key -> {
            list.add(sequence);
            return list.size() - 1;
          });
    }

    /** Index of a sequence with these tokens, or −1. */
    int indexOf(int[] sequence) {
      return index.getOrDefault(IntBuffer.wrap(sequence), -1);
    }

    int[] get(int i) {
      return list.get(i);
    }
  }

  /** Suffix tokens to score after the first {@code prefixLength} tokens of request's context. */
  private record SuffixRow(int request, int prefixLength, int[] suffix) {}

  /**
   * Log-probabilities of every suffix row, and of every context token (index i of request q holds
   * {@code log p(context[i] | context[0:i])}, index 0 is 0) when the context pass was run.
   */
  private record SuffixScores(float[][] rows, float[][] contexts) {}

  /**
   * Log-probabilities of each row's suffix tokens after its request's prefix: one batched pass over
   * all contexts fills a KV cache, then suffix rows (right-padded, in chunks) attend to their
   * request's cached keys before the prefix length plus their own earlier suffix tokens.
   */
  private SuffixScores suffixLogProbsCached(List<int[]> fulls, List<SuffixRow> rows) {
    float[][] out = new float[rows.size()][];
    float[][] contextLp = new float[fulls.size()][];
    try (NDManager manager = network.parameterManager().newSubManager()) {
      PaddedBatch contexts = new PaddedBatch(fulls, config.maxContext());
      KvCache cache = new KvCache(config.layers());
      float[] fullLp = fullLogProbs(manager, contexts, cache).toFloatArray();
      int vocab = config.vocabSize();
      int contextWidth = contexts.width;
      for (int q = 0; q < fulls.size(); q++) {
        int[] full = fulls.get(q);
        contextLp[q] = new float[full.length];
        for (int i = 1; i < full.length; i++) {
          int column = contexts.column(q, i - 1);
          contextLp[q][i] = fullLp[(q * contextWidth + column) * vocab + full[i]];
        }
      }
      for (int start = 0; start < rows.size(); start += MAX_SUFFIX_ROWS) {
        int end = Math.min(rows.size(), start + MAX_SUFFIX_ROWS);
        int count = end - start;
        int width = 1;
        for (int i = start; i < end; i++) {
          SuffixRow row = rows.get(i);
          width = Math.max(width, row.suffix().length);
          if (row.prefixLength() + row.suffix().length > config.maxContext()) {
            throw new IllegalArgumentException(
                "prefix + suffix exceeds maxContext " + config.maxContext());
          }
        }
        try (NDManager chunk = manager.newSubManager()) {
          long[] ids = new long[count * width];
          long[] positions = new long[count * width];
          long[] targets = new long[count * width];
          long[] requestOfRow = new long[count];
          int keys = contextWidth + width;
          float[] bias = new float[count * width * keys];
          long real = 0;
          for (int r = 0; r < count; r++) {
            SuffixRow row = rows.get(start + r);
            int[] suffix = row.suffix();
            int offset = contexts.offsets[row.request()];
            requestOfRow[r] = row.request();
            real += suffix.length;
            for (int s = 0; s < width; s++) {
              int idx = r * width + s;
              ids[idx] = s < suffix.length ? suffix[s] : tokenizer.padId();
              positions[idx] = Math.min(row.prefixLength() + s, config.maxContext() - 1);
              targets[idx] = s + 1 < suffix.length ? suffix[s + 1] : tokenizer.padId();
              int base = idx * keys;
              for (int j = 0; j < keys; j++) {
                boolean visible =
                    j < contextWidth
                        ? j >= offset && j < offset + row.prefixLength()
                        : j - contextWidth <= s;
                bias[base + j] = visible ? 0f : PaddedBatch.MASKED;
              }
            }
          }
          KvCache rowsCache = cache.selectRows(chunk.create(requestOfRow));
          // The selected rows and everything computed from them belong to this chunk.
          rowsCache.attach(chunk);
          NDArray logits =
              network.forward(
                  network.embedTokens(chunk.create(ids, new Shape(count, width))),
                  chunk.create(positions, new Shape(count, width)),
                  chunk.create(bias, new Shape(count, 1, width, keys)),
                  rowsCache);
          forwardTokens.addAndGet(real);
          float[] suffixLp =
              logits
                  .logSoftmax(-1)
                  .gather(chunk.create(targets, new Shape(count, width)).expandDims(-1), -1)
                  .squeeze(-1)
                  .toFloatArray();
          for (int r = 0; r < count; r++) {
            SuffixRow row = rows.get(start + r);
            int[] suffix = row.suffix();
            float[] lp = new float[suffix.length];
            if (suffix.length > 0) {
              // The first suffix token is predicted by the prefix's last position.
              int column = contexts.column(row.request(), row.prefixLength() - 1);
              lp[0] = fullLp[(row.request() * contextWidth + column) * vocab + suffix[0]];
            }
            for (int s = 1; s < suffix.length; s++) {
              lp[s] = suffixLp[r * width + s - 1];
            }
            out[start + r] = lp;
          }
        }
      }
    }
    return new SuffixScores(out, contextLp);
  }

  /** The oracle for {@link #suffixLogProbsCached}: every prefix + suffix run in full. */
  private float[][] suffixLogProbsRerun(List<int[]> fulls, List<SuffixRow> rows) {
    float[][] out = new float[rows.size()][];
    for (int start = 0; start < rows.size(); start += MAX_SUFFIX_ROWS) {
      int end = Math.min(rows.size(), start + MAX_SUFFIX_ROWS);
      List<int[]> seqs = new ArrayList<>();
      for (int i = start; i < end; i++) {
        SuffixRow row = rows.get(i);
        seqs.add(concat(Arrays.copyOf(fulls.get(row.request()), row.prefixLength()), row.suffix()));
      }
      try (NDManager manager = network.parameterManager().newSubManager()) {
        PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
        float[] tokenLp =
            fullLogProbs(manager, padded, null)
                .gather(padded.nextTokenTargets(manager, tokenizer.padId()).expandDims(-1), -1)
                .squeeze(-1)
                .toFloatArray();
        for (int i = start; i < end; i++) {
          int r = i - start;
          SuffixRow row = rows.get(i);
          float[] lp = new float[row.suffix().length];
          for (int s = 0; s < lp.length; s++) {
            int col = padded.column(r, row.prefixLength() + s - 1);
            lp[s] = tokenLp[r * padded.width + col];
          }
          out[i] = lp;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- attribution

  /**
   * Gradient x input attribution: for every trace token, the gradient of {@code log p(answer |
   * prompt + full trace + cue)} with respect to that token's embedding, dotted with the embedding
   * (summed over the embedding dimension). Boundaries in the requests are ignored; callers sum per
   * segment.
   */
  @Override
  public List<double[]> gradientTimesInput(List<ValueRequest> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return lockedWithGradients(
        () -> {
          List<int[]> seqs = new ArrayList<>();
          int[] answerStart = new int[batch.size()];
          for (int b = 0; b < batch.size(); b++) {
            ValueRequest r = batch.get(b);
            int[] answer = tokenizer.encode(r.answer());
            int[] seq =
                concat(
                    context(r.prompt(), r.traceTokens()), tokenizer.encode(r.answerCue()), answer);
            answerStart[b] = seq.length - answer.length;
            seqs.add(seq);
          }
          try (NDManager manager = network.parameterManager().newSubManager()) {
            PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
            float[] answerMask = new float[padded.rows() * padded.width];
            for (int b = 0; b < padded.rows(); b++) {
              for (int i = answerStart[b]; i < seqs.get(b).length; i++) {
                answerMask[b * padded.width + padded.column(b, i - 1)] = 1f;
              }
            }
            NDArray embeddings =
                network.embedTokens(padded.tokenIds(manager, tokenizer.padId())).stopGradient();
            embeddings.setRequiresGradient(true);
            NDArray gradient;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray logits =
                  network.forward(
                      embeddings, padded.positionIds(manager), padded.attentionBias(manager), null);
              forwardTokens.addAndGet(padded.realTokens);
              NDArray answerLogProb =
                  logits
                      .logSoftmax(-1)
                      .gather(
                          padded.nextTokenTargets(manager, tokenizer.padId()).expandDims(-1), -1)
                      .squeeze(-1)
                      .mul(manager.create(answerMask, new Shape(padded.rows(), padded.width)))
                      .sum();
              collector.backward(answerLogProb);
              gradient = embeddings.getGradient();
              gradient.attach(manager);
            } finally {
              zeroParameterGradients();
            }
            float[] gxi = gradient.mul(embeddings).sum(new int[] {-1}).toFloatArray();
            List<double[]> out = new ArrayList<>();
            for (int b = 0; b < batch.size(); b++) {
              int traceLength = batch.get(b).traceTokens().length;
              int first = context(batch.get(b).prompt(), new int[0]).length;
              double[] values = new double[traceLength];
              for (int j = 0; j < traceLength; j++) {
                values[j] = gxi[b * padded.width + padded.column(b, first + j)];
              }
              out.add(values);
            }
            return out;
          }
        });
  }

  // ---------------------------------------------------------------- training

  /**
   * One PPO-style step: loss = mean over trace tokens of {@code -min(r A, clip(r, 1-eps, 1+eps) A)
   * + beta k3}, with {@code r = exp(logp - behaviourLogProb)} and the k3 estimator {@code exp(ref -
   * logp) - (ref - logp) - 1}; Adam with global gradient-norm clipping.
   */
  public TrainStepResult trainStep(List<TrainExample> batch, TrainOptions options) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("empty training batch");
    }
    float[][] reference = new float[batch.size()][];
    if (options.klCoefficient() > 0) {
      List<ScoreRequest> requests = new ArrayList<>();
      for (TrainExample e : batch) {
        requests.add(new ScoreRequest(e.prompt(), e.traceTokens()));
      }
      List<TraceScore> scores = options.reference().score(requests);
      for (int b = 0; b < batch.size(); b++) {
        reference[b] = scores.get(b).logProbs();
      }
    }
    return lockedWithGradients(
        () -> {
          List<int[]> seqs = new ArrayList<>();
          for (TrainExample e : batch) {
            if (e.traceTokens().length == 0) {
              throw new IllegalArgumentException("cannot train on an empty trace");
            }
            seqs.add(context(e.prompt(), e.traceTokens()));
          }
          PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
          int cells = padded.rows() * padded.width;
          float[] mask = new float[cells];
          float[] advantages = new float[cells];
          float[] behaviour = new float[cells];
          float[] ref = new float[cells];
          long tokens = 0;
          for (int b = 0; b < batch.size(); b++) {
            TrainExample e = batch.get(b);
            int first = seqs.get(b).length - e.traceTokens().length;
            for (int j = 0; j < e.traceTokens().length; j++) {
              int idx = b * padded.width + padded.column(b, first + j - 1);
              mask[idx] = 1f;
              advantages[idx] = e.advantages()[j];
              behaviour[idx] = e.behaviourLogProbs()[j];
              ref[idx] = reference[b] == null ? 0f : reference[b][j];
              tokens++;
            }
          }
          try (NDManager manager = network.parameterManager().newSubManager()) {
            Shape shape = new Shape(padded.rows(), padded.width);
            NDArray maskArray = manager.create(mask, shape);
            NDArray advantageArray = manager.create(advantages, shape);
            float[] ratios;
            double loss;
            double kl = 0;
            zeroParameterGradients();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray logProbs = tokenLogProbs(manager, padded);
              NDArray ratio = logProbs.sub(manager.create(behaviour, shape)).exp();
              NDArray unclipped = ratio.mul(advantageArray);
              NDArray clipped =
                  ratio
                      .clip(1 - options.clipEpsilon(), 1 + options.clipEpsilon())
                      .mul(advantageArray);
              NDArray perToken = unclipped.minimum(clipped).neg();
              if (options.klCoefficient() > 0) {
                NDArray diff = manager.create(ref, shape).sub(logProbs);
                NDArray k3 = diff.exp().sub(diff).sub(1);
                kl = k3.mul(maskArray).sum().getFloat() / tokens;
                perToken = perToken.add(k3.mul(options.klCoefficient()));
              }
              NDArray lossArray = perToken.mul(maskArray).sum().div(tokens);
              collector.backward(lossArray);
              loss = lossArray.getFloat();
              ratios = ratio.toFloatArray();
            }
            long clippedTokens = 0;
            for (int i = 0; i < cells; i++) {
              if (mask[i] > 0
                  && ((advantages[i] > 0 && ratios[i] > 1 + options.clipEpsilon())
                      || (advantages[i] < 0 && ratios[i] < 1 - options.clipEpsilon()))) {
                clippedTokens++;
              }
            }
            double gradNorm = adamUpdate(options.learningRate(), options.maxGradNorm());
            return new TrainStepResult(loss, (double) clippedTokens / tokens, kl, gradNorm, tokens);
          }
        });
  }

  /**
   * One teacher-forced cross-entropy step on the target tokens (prompt tokens only condition);
   * returns the mean negative log-likelihood per target token before the update.
   */
  public double supervisedStep(
      List<SupervisedExample> batch, double learningRate, double maxGradNorm) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("empty training batch");
    }
    return lockedWithGradients(
        () -> {
          List<int[]> seqs = new ArrayList<>();
          for (SupervisedExample e : batch) {
            seqs.add(context(e.prompt(), e.targetTokens()));
          }
          PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
          float[] mask = new float[padded.rows() * padded.width];
          long tokens = 0;
          for (int b = 0; b < batch.size(); b++) {
            int targets = batch.get(b).targetTokens().length;
            int first = seqs.get(b).length - targets;
            for (int j = 0; j < targets; j++) {
              mask[b * padded.width + padded.column(b, first + j - 1)] = 1f;
              tokens++;
            }
          }
          try (NDManager manager = network.parameterManager().newSubManager()) {
            double loss;
            zeroParameterGradients();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray nll =
                  tokenLogProbs(manager, padded)
                      .mul(manager.create(mask, new Shape(padded.rows(), padded.width)))
                      .sum()
                      .neg()
                      .div(tokens);
              collector.backward(nll);
              loss = nll.getFloat();
            }
            adamUpdate(learningRate, maxGradNorm);
            return loss;
          }
        });
  }

  /** (B,W) log p(next token) for every column of a padded batch (gradient-tracked in training). */
  private NDArray tokenLogProbs(NDManager manager, PaddedBatch padded) {
    return fullLogProbs(manager, padded, null)
        .gather(padded.nextTokenTargets(manager, tokenizer.padId()).expandDims(-1), -1)
        .squeeze(-1);
  }

  /** Clips the global gradient norm, applies Adam, zeroes the gradients; returns the raw norm. */
  private double adamUpdate(double learningRate, double maxGradNorm) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager scratch = network.parameterManager().newSubManager()) {
      Map<String, NDArray> gradients = new HashMap<>();
      double squaredNorm = 0;
      for (Map.Entry<String, NDArray> e : network.parameters().entrySet()) {
        NDArray g = e.getValue().getGradient();
        g.attach(scratch);
        gradients.put(e.getKey(), g);
        squaredNorm += g.square().sum().getFloat();
      }
      double norm = Math.sqrt(squaredNorm);
      if (!Double.isFinite(norm)) {
        throw new IllegalStateException("gradient norm is " + norm + "; step skipped");
      }
      double scale = norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
      adamSteps++;
      double correction1 = 1 - Math.pow(ADAM_BETA1, adamSteps);
      double correction2 = 1 - Math.pow(ADAM_BETA2, adamSteps);
      for (Map.Entry<String, NDArray> e : network.parameters().entrySet()) {
        NDArray weight = e.getValue();
        NDArray g = gradients.get(e.getKey()).mul(scale);
        NDArray[] moments =
            adamMoments.computeIfAbsent(
                e.getKey(), k -> new NDArray[] {weight.zerosLike(), weight.zerosLike()});
        moments[0].muli(ADAM_BETA1).addi(g.mul(1 - ADAM_BETA1));
        moments[1].muli(ADAM_BETA2).addi(g.square().mul(1 - ADAM_BETA2));
        NDArray mHat = scratchCopy(moments[0], scratch).divi(correction1);
        NDArray vHat = scratchCopy(moments[1], scratch).divi(correction2);
        weight.subi(mHat.divi(vHat.sqrt().addi(ADAM_EPS)).muli(learningRate));
      }
      return norm;
    } finally {
      zeroParameterGradients();
      JniUtils.setGradMode(gradMode);
    }
  }

  private static NDArray scratchCopy(NDArray array, NDManager scratch) {
    NDArray copy = array.duplicate();
    copy.attach(scratch);
    return copy;
  }

  private void zeroParameterGradients() {
    for (NDArray p : network.parameters().values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs {@code body} under the lock with autograd recording off (unless a step turns it on). */
  private <T> T locked(Supplier<T> body) {
    lock.lock();
    boolean gradMode = JniUtils.isGradMode();
    try {
      JniUtils.setGradMode(false);
      return body.get();
    } finally {
      JniUtils.setGradMode(gradMode);
      lock.unlock();
    }
  }

  /**
   * Like {@link #locked} and also holds the JVM-wide gradient lock: DJL's PyTorch engine allows
   * only one GradientCollector at a time, so two policies (e.g. trainer and attribution) must not
   * record gradients concurrently.
   */
  private <T> T lockedWithGradients(Supplier<T> body) {
    return locked(
        () -> {
          GRADIENT_LOCK.lock();
          try {
            return body.get();
          } finally {
            GRADIENT_LOCK.unlock();
          }
        });
  }

  static int[] concat(int[]... parts) {
    int length = 0;
    for (int[] p : parts) {
      length += p.length;
    }
    int[] out = new int[length];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      for (NDArray[] m : adamMoments.values()) {
        m[0].close();
        m[1].close();
      }
      adamMoments.clear();
      network.close();
    } finally {
      lock.unlock();
    }
  }
}
