package dev.rredcot.model.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.pretrain.Pretrainer;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the policy's throughput (generation with and without KV cache, scoring, boundary values
 * with cache reuse vs re-running prefixes, PPO step), its size and memory, and the initial policy's
 * accuracy, and optionally the scoring speed of another model directory beside the policy's; writes
 * {@code summary.json}.
 *
 * <p>Usage (what {@code ./rredcot bench model --out DIR} calls):
 *
 * <pre>{@code
 * BenchmarkResult result =
 *     ModelBenchmark.run(BenchmarkOptions.builder().setOutputDir(Path.of("bench-out")).build());
 * }</pre>
 */
public final class ModelBenchmark {

  /** Name of the summary file written into the output directory. */
  public static final String SUMMARY_FILE = "summary.json";

  private static final Logger LOG = LoggerFactory.getLogger(ModelBenchmark.class);
  private static final int GEN_TOKENS = 64;
  private static final int WARMUP_REPEATS = 1;

  /**
   * Text any model can score: a story in plain words, since a pretrained vocabulary need not have
   * the arithmetic task's characters (BabyLlama has no {@code =} nor newline).
   */
  private static final String STORY =
      "Once upon a time, there was a little dog named Max. Max liked to run in the park with his"
          + " friend Sue. One day they found a big red ball under a tree. They played with it all"
          + " day and were very happy. ";

  private ModelBenchmark() {}

  /** Runs every measurement and writes {@code outputDir/summary.json}. */
  public static BenchmarkResult run(BenchmarkOptions options) throws IOException {
    Files.createDirectories(options.outputDir());
    Checkpoint checkpoint = options.checkpoint();
    Path scratchStore = null;
    if (checkpoint == null) {
      scratchStore = Files.createTempDirectory("rredcot-bench-store");
      checkpoint = InitialPolicy.materialise(new CheckpointStore(scratchStore, 1));
    }
    BenchmarkResult result;
    try (Policy policy = Policy.load(checkpoint)) {
      result = measure(policy, options);
    }
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(options.outputDir().resolve(SUMMARY_FILE).toFile(), result);
    LOG.info("model benchmark: {}", result);
    if (scratchStore != null) {
      deleteTree(scratchStore);
    }
    return result;
  }

  private static BenchmarkResult measure(Policy policy, BenchmarkOptions options)
      throws IOException {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    Tokenizer tokenizer = policy.tokenizer();
    List<Problem> problems = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      problems.add(task.generate(options.seed() * 1000 + i));
    }

    Rate genB1Kv = generationRate(policy, problems.subList(0, 1), true, 8);
    Rate genB1NoKv = generationRate(policy, problems.subList(0, 1), false, 4);
    Rate genB64Kv = generationRate(policy, problems, true, 2);
    LOG.info(
        "generation tok/s (wall / CPU): b1 kv {}, b1 no-kv {}, b64 kv {}",
        genB1Kv,
        genB1NoKv,
        genB64Kv);

    // Reference traces (the task's correct solutions) as the scored / valued text.
    List<ScoreRequest> scoreBatch = new ArrayList<>();
    for (Problem p : problems) {
      scoreBatch.add(new ScoreRequest(p.prompt(), tokenizer.encode(p.solution())));
    }
    long before = policy.forwardTokens();
    Clock scoreClock = new Clock();
    double scoreSeconds = timePerRepeat(() -> policy.score(scoreBatch), 5, scoreClock);
    long scoredTokens = (policy.forwardTokens() - before) / (5 + WARMUP_REPEATS);
    double scoreRate = scoredTokens / scoreSeconds;
    double scoreCpuRate = scoredTokens / (scoreClock.cpuSeconds() / 5);
    String model = null;
    double modelScoreRate = Double.NaN;
    if (options.model() != null) {
      try (PolicyBackend other = BackendKinds.open(options.model())) {
        model = other.description();
        modelScoreRate = scoreRate(other, sameLengths(other.tokenizer(), scoreBatch, tokenizer));
      }
      LOG.info("scoring tok/s: policy {}, {} {}", scoreRate, model, modelScoreRate);
    }

    // Values are timed on 8-step reference traces: the saving grows with the number of
    // boundaries, and 8 steps is the longest trace that fits maxContext 128 comfortably.
    ArithmeticTask longTask =
        new ArithmeticTask(
            ArithmeticTask.Config.builder().optSteps(8).optOperandRange(1, 9).build());
    List<ValueRequest> valueBatch = new ArrayList<>();
    long boundaries = 0;
    for (int i = 0; i < options.valueTraces(); i++) {
      Problem p = longTask.generate(options.seed() * 1000 + 500 + i);
      int[] trace = tokenizer.encode(p.solution());
      int[] lineBoundaries = lineBoundaries(trace, tokenizer);
      boundaries += lineBoundaries.length;
      valueBatch.add(
          new ValueRequest(
              p.prompt(), trace, lineBoundaries, task.answerCue(), task.answerSuffix(p.answer())));
    }
    long tokensStart = policy.forwardTokens();
    double reuseSeconds = timePerRepeat(() -> policy.answerValues(valueBatch, true), 3);
    long reuseTokens = (policy.forwardTokens() - tokensStart) / (3 + WARMUP_REPEATS);
    tokensStart = policy.forwardTokens();
    double rerunSeconds = timePerRepeat(() -> policy.answerValues(valueBatch, false), 3);
    long rerunTokens = (policy.forwardTokens() - tokensStart) / (3 + WARMUP_REPEATS);
    double msReuse = reuseSeconds * 1000 / boundaries;
    double msRerun = rerunSeconds * 1000 / boundaries;

    List<TrainExample> trainBatch = new ArrayList<>();
    for (Problem p : problems) {
      int[] trace = Arrays.copyOf(tokenizer.encode(p.solution().repeat(3)), 64);
      float[] advantages = new float[64];
      Arrays.fill(advantages, 0.5f);
      trainBatch.add(new TrainExample(p.prompt(), trace, advantages, new float[64]));
    }
    PolicyUpdateOptions trainOptions = PolicyUpdateOptions.builder().optLearningRate(1e-9).build();
    double trainMs = timePerRepeat(() -> policy.trainStep(trainBatch, trainOptions), 3) * 1000;

    double accuracy =
        options.accuracyProblems() == 0
            ? Double.NaN
            : Pretrainer.accuracy(
                policy, task, options.accuracyProblems(), (options.seed() + 1) << 32, 99);
    return new BenchmarkResult(
        genB1Kv.wall(),
        genB1NoKv.wall(),
        genB64Kv.wall(),
        scoreRate,
        msReuse,
        msRerun,
        msRerun / msReuse,
        (double) reuseTokens / boundaries,
        (double) rerunTokens / boundaries,
        trainMs,
        policy.parameterCount(),
        peakRssMb(),
        accuracy,
        options.accuracyProblems(),
        model,
        modelScoreRate,
        genB1Kv.cpu(),
        genB1NoKv.cpu(),
        genB64Kv.cpu(),
        scoreCpuRate);
  }

  /** A rate per wall second and per second of the measuring thread's CPU time. */
  private record Rate(double wall, double cpu) {
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%.0f / %.0f", wall, cpu);
    }
  }

  /**
   * Wall and thread CPU time of the measured calls. PyTorch runs one intra-op thread, the calling
   * one, so the thread's CPU time is the call's work however many other processes share the cores;
   * the wall time is what a caller waits.
   */
  private static final class Clock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private long wallNanos;
    private long cpuNanos;
    private long wallStart;
    private long cpuStart;

    void start() {
      wallStart = System.nanoTime();
      cpuStart = cpuNow();
    }

    void stop() {
      wallNanos += System.nanoTime() - wallStart;
      cpuNanos += cpuNow() - cpuStart;
    }

    double wallSeconds() {
      return wallNanos / 1e9;
    }

    /** NaN where the JVM has no thread CPU clock. */
    double cpuSeconds() {
      return THREADS.isCurrentThreadCpuTimeSupported() ? cpuNanos / 1e9 : Double.NaN;
    }

    private static long cpuNow() {
      return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }
  }

  /**
   * For every scored sequence of the policy, one of the same number of positions in {@code
   * tokenizer}'s ids, cut from {@link #STORY} (the prompt empty, so the trace carries the length).
   */
  private static List<ScoreRequest> sameLengths(
      Tokenizer tokenizer, List<ScoreRequest> policyBatch, Tokenizer policyTokenizer) {
    int[] story = tokenizer.encode(STORY.repeat(8));
    List<ScoreRequest> batch = new ArrayList<>();
    for (ScoreRequest r : policyBatch) {
      int positions = policyTokenizer.encode(r.prompt()).length + r.traceTokens().length;
      batch.add(new ScoreRequest("", Arrays.copyOf(story, Math.min(positions, story.length))));
    }
    return batch;
  }

  /** Scored token positions per second of {@code backend} over {@code batch}, after a warm-up. */
  private static double scoreRate(PolicyBackend backend, List<ScoreRequest> batch) {
    int repeats = 5;
    boolean entropies = backend.supports(BackendCapability.ENTROPIES);
    long before = backend.forwardTokens();
    double seconds =
        timePerRepeat(() -> entropies ? backend.score(batch) : backend.logProbs(batch), repeats);
    long tokens = (backend.forwardTokens() - before) / (repeats + WARMUP_REPEATS);
    return tokens / seconds;
  }

  /** Token offsets 0 (prompt only) and after every newline before the trace's last one. */
  static int[] lineBoundaries(int[] trace, Tokenizer tokenizer) {
    List<Integer> cuts = new ArrayList<>();
    cuts.add(0);
    // The cut after the last step line (before the answer line) is the full-CoT state.
    for (int j = 0; j < trace.length - 1; j++) {
      if (tokenizer.decode(new int[] {trace[j]}).equals("\n")) {
        cuts.add(j + 1);
      }
    }
    return cuts.stream().mapToInt(Integer::intValue).toArray();
  }

  private static Rate generationRate(
      Policy policy, List<Problem> problems, boolean useKvCache, int repeats) {
    List<GenerationRequest> requests = new ArrayList<>();
    for (Problem p : problems) {
      requests.add(GenerationRequest.of(p.prompt()));
    }
    long tokens = 0;
    Clock clock = new Clock();
    for (int r = -WARMUP_REPEATS; r < repeats; r++) {
      GenerationOptions options =
          GenerationOptions.builder()
              .optSeed(r)
              .optMaxTokens(GEN_TOKENS)
              .optUseKvCache(useKvCache)
              // A cue that never occurs keeps sequences running to maxTokens or eos.
              .optAnswerCue("\u0000")
              .build();
      if (r < 0) {
        policy.generate(requests, options);
        continue;
      }
      clock.start();
      List<Sample> samples = policy.generate(requests, options);
      clock.stop();
      tokens += samples.stream().mapToLong(s -> s.tokenIds().length).sum();
    }
    return new Rate(tokens / clock.wallSeconds(), tokens / clock.cpuSeconds());
  }

  /** Mean seconds per call after one warm-up call. */
  private static double timePerRepeat(Supplier<?> call, int repeats) {
    return timePerRepeat(call, repeats, new Clock());
  }

  /** Mean wall seconds per call after one warm-up call; {@code clock} keeps the measured calls. */
  private static double timePerRepeat(Supplier<?> call, int repeats, Clock clock) {
    for (int i = 0; i < WARMUP_REPEATS; i++) {
      call.get();
    }
    clock.start();
    for (int i = 0; i < repeats; i++) {
      call.get();
    }
    clock.stop();
    return clock.wallSeconds() / repeats;
  }

  /** Peak resident set size from /proc/self/status (VmHWM), in MB; NaN where unavailable. */
  static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String kb = line.substring("VmHWM:".length()).trim().split("\\s+")[0];
          return Long.parseLong(kb) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read VmHWM: {}", e.toString());
    }
    return Double.NaN;
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
