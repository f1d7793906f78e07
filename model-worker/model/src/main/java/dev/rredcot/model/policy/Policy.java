package dev.rredcot.model.policy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 *
 * <p>This class is the facade: it owns the network, the call lock and the version, and delegates
 * each computation to a package-private collaborator ({@code PolicyGeneration}, {@code
 * PolicyScoring}, {@code BoundaryValues}, {@code InputAttribution}, {@code PolicyTraining} with its
 * {@code PolicyOptimizer}), all sharing one {@code PolicyForward}; engine-internal DJL calls live
 * in {@link TorchEngine}.
 */
public final class Policy implements TrainablePolicy {

  /** File name of the parameters inside a checkpoint directory. */
  public static final String PARAMS_FILE = "model.params";

  /** DJL's system property for PyTorch intra-op threads; unset means 1 (see class Javadoc). */
  public static final String INTRA_OP_THREADS_PROPERTY = TorchEngine.INTRA_OP_THREADS_PROPERTY;

  private static final Logger LOG = LoggerFactory.getLogger(Policy.class);

  private static final Set<BackendCapability> CAPABILITIES =
      Collections.unmodifiableSet(EnumSet.allOf(BackendCapability.class));

  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final TransformerNetwork network;
  private final ReentrantLock lock = new ReentrantLock();
  private final PolicyForward forward;
  private final PolicyGeneration generation;
  private final PolicyScoring scoring;
  private final BoundaryValues boundaryValues;
  private final InputAttribution attribution;
  private final PolicyTraining training;
  private volatile long version;

  private Policy(
      ModelConfig config, Tokenizer tokenizer, TransformerNetwork network, long version) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.network = network;
    this.version = version;
    this.forward = new PolicyForward(config, tokenizer, network);
    this.generation = new PolicyGeneration(forward);
    this.scoring = new PolicyScoring(forward);
    this.boundaryValues = new BoundaryValues(forward);
    this.attribution = new InputAttribution(forward);
    this.training = new PolicyTraining(forward);
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
    Device device = TorchEngine.chooseDevice();
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
        TransformerNetwork.load(config, TorchEngine.chooseDevice(), verified.file(PARAMS_FILE));
    LOG.info("loaded policy version {} from {}", verified.version(), verified.dir());
    return new Policy(config, tokenizer, network, verified.version());
  }

  /**
   * Writes this policy as checkpoint {@code version} (config, parameters, tokenizer) and adopts
   * that version.
   */
  @Override
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
    return forward.forwardTokens();
  }

  /** {@code [bos] + tokens(prompt) + trace}. */
  int[] context(String prompt, int[] trace) {
    return forward.context(prompt, trace);
  }

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
    return locked(() -> generation.generate(requests, options));
  }

  /** Log-probabilities and entropies of every trace token, in one padded forward pass. */
  @Override
  public List<TraceScore> score(List<ScoreRequest> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(() -> scoring.score(batch));
  }

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
    return locked(() -> boundaryValues.answerValues(batch, reuseKvCache));
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
    return locked(() -> boundaryValues.bankValues(batch, reuseKvCache));
  }

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
    return lockedWithGradients(() -> attribution.gradientTimesInput(batch));
  }

  /**
   * One step of the decoupled PPO objective (docs/METHOD.md, "5. The trainer's objective"): loss =
   * mean over trace tokens of {@code -w min(r A, clip(r, 1-eps, 1+eps) A) + beta k3}, with the
   * truncated behaviour weight {@code w = min(exp(clamp(logp_prox - behaviourLogProb, ±L)), cap)},
   * the ratio to the proximal policy (this policy before the step) {@code r = exp(clamp(logp -
   * logp_prox, ±L))} and the k3 estimator {@code exp(ref - logp) - (ref - logp) - 1}; {@link
   * PolicyUpdateOptions#epochsPerBatch} Adam updates with global gradient-norm clipping.
   *
   * @throws NonFiniteStepException when the loss or gradient norm of the first update is not
   *     finite; the policy is then unchanged
   */
  @Override
  public TrainStepResult trainStep(List<TrainExample> given, PolicyUpdateOptions options) {
    return training.trainStep(given, options, this::lockedWithGradients);
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
    return lockedWithGradients(() -> training.supervisedStep(batch, learningRate, maxGradNorm));
  }

  /** Runs {@code body} under the lock with autograd recording off (unless a step turns it on). */
  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return TorchEngine.withoutGradients(body);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Like {@link #locked} and also holds the JVM-wide gradient lock ({@link
   * TorchEngine#exclusiveGradients}), so two policies (e.g. trainer and attribution) never record
   * gradients at once.
   */
  private <T> T lockedWithGradients(Supplier<T> body) {
    return locked(() -> TorchEngine.exclusiveGradients(body));
  }

  /** The parts one after another. */
  static int[] concat(int[]... parts) {
    return PolicyForward.concat(parts);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      training.close();
      network.close();
    } finally {
      lock.unlock();
    }
  }
}
