package dev.rredcot.infra.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.evaluation.EvaluationTask;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pipeline benchmark: how fast the rredcot credit job (rredcot-reweight + answer + hybrid) streams
 * on the Flink runner [local] between topics of an embedded Kafka broker, against the same
 * computation in a plain in-process loop ({@link BareCreditLoop}) over the same policy-generated
 * rollouts with the same policy; and the policy forward tokens per rollout of rredcot values
 * against Monte Carlo with M = 8, on 4-step and 6-step problems.
 *
 * <p>Steady state: the job is started unbounded and detached, a warm-up batch is produced and read
 * back from the credited topic (the bare loop gets the same warm-up), then in each of a few rounds
 * the timed rollouts (relabelled as new groups) are produced at once and the clock runs from the
 * first one produced to the last credited one read back, after which the bare loop credits the same
 * rollouts while the job idles. Interleaving the rounds keeps the drifting load of a shared machine
 * from landing on one side only; the job is cancelled at the end. The cold figure counts from job
 * submission to the end of the first round, start-up and warm-up included.
 *
 * <p>Writes {@code DIR/summary.json}; {@code pipeline_rollouts_per_s} is the steady-state figure.
 *
 * <pre>{@code
 * PipelineBenchmark.run(PipelineBenchmark.Options.builder()
 *     .setOutputDir(Path.of("target/bench")).optRollouts(1024).build());
 * }</pre>
 */
public final class PipelineBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineBenchmark.class);
  private static final int GROUP_SIZE = 4;
  private static final long TIMED_SEED = 2_000_000L;
  private static final long SIX_STEP_SEED = 3_000_000L;
  private static final long JOB_START_TIMEOUT_MS = 300_000;

  private PipelineBenchmark() {}

  /** Benchmark settings; build with {@link #builder()}. */
  public static final class Options {
    private final Path outputDir;
    private final int rollouts;
    private final int warmUpRollouts;
    private final int tokenGroups;
    private final int parallelism;
    private final int maxTokens;
    private final String checkpointDir;
    private final List<String> pipelineArgs;
    private final int rounds;
    private final long seed;
    private final EvaluationTask task;

    private Options(Builder builder) {
      this.outputDir = builder.outputDir;
      this.rollouts = builder.rollouts;
      this.warmUpRollouts = builder.warmUpRollouts;
      this.tokenGroups = builder.tokenGroups;
      this.parallelism = builder.parallelism;
      this.maxTokens = builder.maxTokens;
      this.checkpointDir = builder.checkpointDir;
      this.pipelineArgs = List.copyOf(builder.pipelineArgs);
      this.rounds = builder.rounds;
      this.seed = builder.seed;
      this.task = builder.task;
    }

    public static Builder builder() {
      return new Builder();
    }

    /** The defaults writing into {@code outputDir}. */
    public static Options defaults(Path outputDir) {
      return builder().setOutputDir(outputDir).build();
    }

    public Path outputDir() {
      return outputDir;
    }

    /** Rounds of {@link #rollouts()} each, pipeline then bare loop. */
    public int rounds() {
      return rounds;
    }

    /** Rollouts timed per round through the pipeline and the bare loop. */
    public int rollouts() {
      return rollouts;
    }

    /** Rollouts sent before timing starts (JIT, model load, Kafka fetch sessions). */
    public int warmUpRollouts() {
      return warmUpRollouts;
    }

    /** Groups of 4 per problem length (4 and 6 steps) for the model-token comparison. */
    public int tokenGroups() {
      return tokenGroups;
    }

    /** Flink parallelism of the job. */
    public int parallelism() {
      return parallelism;
    }

    /** Longest generated trace in tokens. */
    public int maxTokens() {
      return maxTokens;
    }

    /** Checkpoint store of the policy (newest version); empty means the shipped initial policy. */
    public String checkpointDir() {
      return checkpointDir;
    }

    public long seed() {
      return seed;
    }

    /** The task family of the problems and of the shipped policy an empty store gets. */
    public EvaluationTask task() {
      return task;
    }

    /** Extra Beam options for the credit job (e.g. {@code --objectReuse=true}). */
    public List<String> pipelineArgs() {
      return pipelineArgs;
    }

    /** Builder; {@code outputDir} is required. */
    public static final class Builder {
      private Path outputDir;
      private int rollouts = 512;
      private int warmUpRollouts = 3072;
      private int tokenGroups = 4;
      private int parallelism = 1;
      private int maxTokens = 96;
      private String checkpointDir = "";
      private List<String> pipelineArgs = List.of();
      private int rounds = 6;
      private long seed = 1;
      private EvaluationTask task = EvaluationTask.ARITH;

      private Builder() {}

      public Builder setOutputDir(Path value) {
        this.outputDir = value;
        return this;
      }

      /** Interleaved pipeline/bare rounds (default 6). */
      public Builder optRounds(int value) {
        this.rounds = value;
        return this;
      }

      /** Timed rollouts per round (default 512), rounded down to whole groups of 4. */
      public Builder optRollouts(int value) {
        this.rollouts = value;
        return this;
      }

      /**
       * Warm-up rollouts, copies of the timed ones as new groups (default 3072: the pipeline's code
       * path is long and was still speeding up after 1024).
       */
      public Builder optWarmUpRollouts(int value) {
        this.warmUpRollouts = value;
        return this;
      }

      /** Groups per problem length for the token comparison (default 4). */
      public Builder optTokenGroups(int value) {
        this.tokenGroups = value;
        return this;
      }

      /** Flink parallelism (default 1). */
      public Builder optParallelism(int value) {
        this.parallelism = value;
        return this;
      }

      /** Longest generated trace in tokens (default 96). */
      public Builder optMaxTokens(int value) {
        this.maxTokens = value;
        return this;
      }

      /**
       * Checkpoint store of the policy, newest version used (default: the shipped initial policy in
       * {@code DIR/policy}).
       */
      public Builder optCheckpointDir(String value) {
        this.checkpointDir = value;
        return this;
      }

      /** Extra Beam options for the credit job; they override the benchmark's own. */
      public Builder optPipelineArgs(List<String> value) {
        this.pipelineArgs = value;
        return this;
      }

      public Builder optSeed(long value) {
        this.seed = value;
        return this;
      }

      /**
       * {@link EvaluationTask#ARITH} (default: 4- and 6-step problems) or {@link
       * EvaluationTask#COUNTDOWN} (2- and 3-move problems).
       */
      public Builder optTask(EvaluationTask value) {
        this.task = Objects.requireNonNull(value, "task");
        return this;
      }

      /** Validates and builds. */
      public Options build() {
        if (outputDir == null) {
          throw new IllegalStateException("setOutputDir(...) is required");
        }
        if (rollouts < GROUP_SIZE || warmUpRollouts < GROUP_SIZE || tokenGroups < 1) {
          throw new IllegalArgumentException(
              "rollouts and warmUpRollouts must be >= "
                  + GROUP_SIZE
                  + " and tokenGroups >= 1, got "
                  + rollouts
                  + ", "
                  + warmUpRollouts
                  + ", "
                  + tokenGroups);
        }
        if (parallelism < 1 || maxTokens < 8 || rounds < 1) {
          throw new IllegalArgumentException(
              "parallelism and rounds must be >= 1 and maxTokens >= 8, got "
                  + parallelism
                  + ", "
                  + rounds
                  + " and "
                  + maxTokens);
        }
        return new Options(this);
      }
    }
  }

  /**
   * Model tokens per rollout of rredcot and MC-8 values on one set of traces ({@code traces}: e.g.
   * {@code 4_steps} for the policy's traces on 4-step problems).
   */
  public record TokenCost(
      String traces,
      int rollouts,
      double meanTraceTokens,
      double segmentsPerRollout,
      double rredcotTokensPerRollout,
      double mc8TokensPerRollout) {
    /** rredcot's tokens as a share of MC-8's. */
    public double rredcotVsMc8() {
      return rredcotTokensPerRollout / mc8TokensPerRollout;
    }
  }

  /** Figures written to summary.json. */
  public record Result(
      int rollouts,
      double pipelineRolloutsPerS,
      double pipelineColdRolloutsPerS,
      double pipelineStartupS,
      double bareRolloutsPerS,
      double pipelineVsBare,
      Map<String, Double> modelTokensPerRollout,
      List<TokenCost> tokenCosts,
      Path summaryFile) {}

  /**
   * {@code DIR [rollouts=N] [rounds=N] [warmUpRollouts=N] [tokenGroups=N] [parallelism=N]
   * [maxTokens=N] [checkpointDir=PATH] [task=arith|countdown] [--beamOption=value ...]}; Beam
   * options are passed to the credit job.
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      throw new IllegalArgumentException(
          "usage: PipelineBenchmark DIR [rollouts=N] [rounds=N] [warmUpRollouts=N] [tokenGroups=N]"
              + " [parallelism=N] [maxTokens=N] [checkpointDir=PATH] [task=arith|countdown]"
              + " [--beamOption=value ...]");
    }
    Options.Builder builder = Options.builder().setOutputDir(Path.of(args[0]));
    List<String> beamArgs = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("--")) {
        beamArgs.add(arg);
        continue;
      }
      int eq = arg.indexOf('=');
      String key = eq < 0 ? arg : arg.substring(0, eq);
      String value = eq < 0 ? "" : arg.substring(eq + 1);
      switch (key) {
        case "rollouts" -> builder.optRollouts(Integer.parseInt(value));
        case "warmUpRollouts" -> builder.optWarmUpRollouts(Integer.parseInt(value));
        case "tokenGroups" -> builder.optTokenGroups(Integer.parseInt(value));
        case "rounds" -> builder.optRounds(Integer.parseInt(value));
        case "parallelism" -> builder.optParallelism(Integer.parseInt(value));
        case "maxTokens" -> builder.optMaxTokens(Integer.parseInt(value));
        case "checkpointDir" -> builder.optCheckpointDir(value);
        case "task" -> builder.optTask(EvaluationTask.fromName(value));
        default -> throw new IllegalArgumentException("unknown benchmark setting '" + arg + "'");
      }
    }
    run(builder.optPipelineArgs(beamArgs).build());
  }

  /** Runs every measurement and writes {@code summary.json}. */
  public static Result run(Options options) throws IOException {
    Files.createDirectories(options.outputDir());
    Path store =
        options.checkpointDir().isEmpty()
            ? options.outputDir().resolve("policy")
            : Path.of(options.checkpointDir());
    Checkpoint checkpoint = BenchmarkPolicy.prepare(store, options.task());
    Path kafkaDir = options.outputDir().resolve("kafka");
    CreditPipelineOptions pipelineOptions = pipelineOptions(options, store, "");
    CreditSettings settings = CreditSettings.fromOptions(pipelineOptions);

    // A short and a long problem length the family's policy was (or was nearly) trained for.
    boolean countdown = options.task() == EvaluationTask.COUNTDOWN;
    TaskFamily fourSteps = options.task().atLevel(countdown ? 2 : 4);
    TaskFamily sixSteps = options.task().atLevel(countdown ? 3 : 6);
    String shortLabel = countdown ? "2_moves" : "4_steps";
    String longLabel = countdown ? "3_moves" : "6_steps";
    List<Rollout> warmUp;
    List<Rollout> timed;
    List<Rollout> sixStepRollouts;
    List<Rollout> sixStepReferences;
    try (Policy policy = Policy.load(checkpoint)) {
      long startNanos = System.nanoTime();
      timed = rollouts(policy, fourSteps, options.rollouts(), TIMED_SEED, options);
      warmUp = warmUpBatch(timed, options.warmUpRollouts());
      sixStepRollouts =
          rollouts(policy, sixSteps, options.tokenGroups() * GROUP_SIZE, SIX_STEP_SEED, options);
      sixStepReferences =
          PolicyRollouts.referenceSolutions(
              policy, sixSteps, options.tokenGroups(), GROUP_SIZE, SIX_STEP_SEED);
      LOG.info(
          "generated {} timed and {} 6-step rollouts with policy version {} in {} s;"
              + " warm-up: {} copies of the timed ones",
          timed.size(),
          sixStepRollouts.size(),
          checkpoint.version(),
          seconds(startNanos),
          warmUp.size());
    }

    Throughput pipeline;
    try (Policy barePolicy = Policy.load(checkpoint)) {
      BareCreditLoop bare = new BareCreditLoop(settings, settings.valueEstimator());
      bare.credit(barePolicy, warmUp);
      pipeline = measureInterleaved(options, kafkaDir, store, warmUp, timed, bare, barePolicy);
    }
    double barePerS = pipeline.bareRolloutsPerS();

    List<TokenCost> costs = new ArrayList<>();
    costs.add(tokenCost(shortLabel, checkpoint, settings, timed, options.tokenGroups()));
    costs.add(tokenCost(longLabel, checkpoint, settings, sixStepRollouts, options.tokenGroups()));
    costs.add(
        tokenCost(
            longLabel + "_reference_solutions",
            checkpoint,
            settings,
            sixStepReferences,
            options.tokenGroups()));
    Map<String, Double> tokens = new LinkedHashMap<>();
    tokens.put("rredcot", costs.get(0).rredcotTokensPerRollout());
    tokens.put("mc8", costs.get(0).mc8TokensPerRollout());

    Result result =
        new Result(
            timed.size() * options.rounds(),
            pipeline.steadyRolloutsPerS(),
            pipeline.coldRolloutsPerS(),
            pipeline.startupS(),
            barePerS,
            pipeline.steadyRolloutsPerS() / barePerS,
            tokens,
            costs,
            options.outputDir().resolve("summary.json"));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("task", options.task().familyName());
    summary.put("rollouts", result.rollouts());
    summary.put("rounds", options.rounds());
    summary.put("rollouts_per_round", timed.size());
    summary.put("warm_up_rollouts", warmUp.size());
    summary.put("pipeline_rollouts_per_s", result.pipelineRolloutsPerS());
    summary.put("pipeline_rollouts_per_s_by_round", pipeline.pipelineByRound());
    summary.put("pipeline_cold_rollouts_per_s", result.pipelineColdRolloutsPerS());
    summary.put("pipeline_startup_s", result.pipelineStartupS());
    summary.put("bare_rollouts_per_s", result.bareRolloutsPerS());
    summary.put("bare_rollouts_per_s_by_round", pipeline.bareByRound());
    summary.put("pipeline_vs_bare", result.pipelineVsBare());
    // Where the time goes: wall time of the timed rounds and the part spent in policy calls (the
    // pipeline's from the per-trace EstimateValues timings the credited records carry).
    summary.put("pipeline_timed_s", pipeline.pipelineS());
    summary.put("pipeline_policy_call_s", pipeline.pipelineScoringS());
    summary.put("bare_timed_s", pipeline.bareS());
    summary.put("bare_policy_call_s", pipeline.bareScoringS());
    summary.put("pipeline_cold_vs_bare", result.pipelineColdRolloutsPerS() / barePerS);
    summary.put("model_tokens_per_rollout", tokens);
    summary.put("rredcot_vs_mc8_tokens", costs.get(0).rredcotVsMc8());
    Map<String, Object> byLength = new LinkedHashMap<>();
    for (TokenCost cost : costs) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("rollouts", cost.rollouts());
      entry.put("mean_trace_tokens", cost.meanTraceTokens());
      entry.put("segments_per_rollout", cost.segmentsPerRollout());
      entry.put("rredcot", cost.rredcotTokensPerRollout());
      entry.put("mc8", cost.mc8TokensPerRollout());
      entry.put("rredcot_vs_mc8", cost.rredcotVsMc8());
      byLength.put(cost.traces(), entry);
    }
    // 4_steps and 6_steps (countdown: 2_moves and 3_moves): the policy's own traces;
    // *_reference_solutions: the correct long solutions scored by the policy, since its own long
    // traces stop early.
    summary.put("model_tokens_per_rollout_by_traces", byLength);
    summary.put("timed_rollouts_mean_reward", meanReward(timed));
    summary.put("timed_rollouts_mean_trace_tokens", meanTokens(timed));
    summary.put("credit", "rredcot-reweight + answer + hybrid");
    summary.put(
        "runner",
        "FlinkRunner [local], parallelism "
            + options.parallelism()
            + ", detached unbounded job, embedded Kafka (2 partitions)");
    summary.put("pipeline_args", options.pipelineArgs());
    summary.put("policy", checkpoint.dir().toString());
    summary.put("policy_version", checkpoint.version());
    summary.put("available_processors", Runtime.getRuntime().availableProcessors());
    summary.put(
        "pytorch_intra_op_threads", System.getProperty(Policy.INTRA_OP_THREADS_PROPERTY, "1"));
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(result.summaryFile().toFile(), summary);
    LOG.info("pipeline benchmark: {}", summary);
    return result;
  }

  private static CreditPipelineOptions pipelineOptions(
      Options options, Path store, String bootstrapServers) {
    List<String> args = new ArrayList<>();
    args.add("--runner=FlinkRunner");
    args.add("--flinkMaster=[local]");
    args.add("--parallelism=" + options.parallelism());
    args.add("--attachedMode=false");
    args.add("--consumerGroupId=");
    args.add("--credit=rredcot");
    args.add("--checkpointDir=" + store);
    args.add("--watchCheckpoints=false");
    args.add("--groupTimeoutMs=60000");
    if (!bootstrapServers.isEmpty()) {
      args.add("--bootstrapServers=" + bootstrapServers);
    }
    args.addAll(options.pipelineArgs());
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .as(CreditPipelineOptions.class);
  }

  /** Whole groups only: a short group would wait for the job's group timeout. */
  private static List<Rollout> rollouts(
      Policy policy, TaskFamily task, int count, long seed, Options options) {
    List<Rollout> generated =
        PolicyRollouts.generate(
            policy, task, count / GROUP_SIZE, GROUP_SIZE, options.maxTokens(), seed);
    Map<String, List<Rollout>> groups =
        generated.stream()
            .collect(
                Collectors.groupingBy(
                    Rollout::getGroupId, LinkedHashMap::new, Collectors.toList()));
    List<Rollout> whole = new ArrayList<>();
    for (List<Rollout> group : groups.values()) {
      if (group.size() == GROUP_SIZE) {
        whole.addAll(group);
      }
    }
    if (whole.isEmpty()) {
      throw new IllegalStateException("the policy wrote no complete group of " + GROUP_SIZE);
    }
    return whole;
  }

  /** Wall-clock figures of the interleaved pipeline and bare-loop rounds. */
  private record Throughput(
      double steadyRolloutsPerS,
      double bareRolloutsPerS,
      List<Double> pipelineByRound,
      List<Double> bareByRound,
      double coldRolloutsPerS,
      double startupS,
      double pipelineS,
      double pipelineScoringS,
      double bareS,
      double bareScoringS) {}

  /**
   * Starts the job, sends the warm-up batch and waits for it, then runs {@code options.rounds()}
   * rounds of the timed rollouts (relabelled per round so that every round is new groups): through
   * the pipeline, then through the bare loop while the job idles. Interleaving keeps the load of a
   * shared machine from landing on one side only.
   */
  private static Throughput measureInterleaved(
      Options options,
      Path kafkaDir,
      Path store,
      List<Rollout> warmUp,
      List<Rollout> timed,
      BareCreditLoop bare,
      Policy barePolicy)
      throws IOException {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaDir)) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      CreditPipelineOptions pipelineOptions =
          pipelineOptions(options, store, broker.bootstrapServers());
      List<ProducerRecord<byte[], byte[]>> warmUpRecords = records(warmUp);
      long submitNanos = System.nanoTime();
      PipelineResult job = CreditPipeline.run(pipelineOptions);
      try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers());
          CreditedRolloutsReader reader =
              new CreditedRolloutsReader(broker.bootstrapServers(), Topics.CREDITED_ROLLOUTS)) {
        send(producer, warmUpRecords);
        CreditedRolloutsReader.Arrival warm = reader.awaitAll(ids(warmUp), JOB_START_TIMEOUT_MS);
        double startupS = (warm.firstNanos() - submitNanos) / 1e9;
        LOG.info(
            "pipeline warm: first credited record {} s after submission, warm-up batch done {} s",
            startupS,
            (warm.lastNanos() - submitNanos) / 1e9);
        List<Double> pipelineByRound = new ArrayList<>();
        List<Double> bareByRound = new ArrayList<>();
        double pipelineS = 0;
        double bareS = 0;
        double coldRolloutsPerS = 0;
        double pipelineScoringMs = 0;
        double bareScoringMsBefore = bare.scoringMs();
        for (int round = 0; round < options.rounds(); round++) {
          List<Rollout> batch = relabel(timed, "r" + round);
          List<ProducerRecord<byte[], byte[]>> batchRecords = records(batch);
          long startNanos = System.nanoTime();
          send(producer, batchRecords);
          CreditedRolloutsReader.Arrival arrival =
              reader.awaitAll(ids(batch), 60_000 + 1_000L * batch.size());
          double roundS = (arrival.lastNanos() - startNanos) / 1e9;
          if (round == 0) {
            coldRolloutsPerS =
                (warmUp.size() + batch.size()) / ((arrival.lastNanos() - submitNanos) / 1e9);
          }
          long bareStartNanos = System.nanoTime();
          bare.credit(barePolicy, batch);
          double bareRoundS = seconds(bareStartNanos);
          pipelineS += roundS;
          // TraceCredit records the EstimateValues time of each trace under "value".
          pipelineScoringMs += arrival.stageMs().getOrDefault("value", 0.0);
          bareS += bareRoundS;
          pipelineByRound.add(batch.size() / roundS);
          bareByRound.add(batch.size() / bareRoundS);
          LOG.info(
              "round {}: pipeline {} rollouts/s, bare loop {} rollouts/s",
              round,
              batch.size() / roundS,
              batch.size() / bareRoundS);
        }
        int total = timed.size() * options.rounds();
        return new Throughput(
            total / pipelineS,
            total / bareS,
            pipelineByRound,
            bareByRound,
            coldRolloutsPerS,
            startupS,
            pipelineS,
            pipelineScoringMs / 1e3,
            bareS,
            (bare.scoringMs() - bareScoringMsBefore) / 1e3);
      } catch (TimeoutException e) {
        throw new IllegalStateException("credit job too slow or stuck: " + e.getMessage(), e);
      } finally {
        cancel(job);
      }
    }
  }

  /** About {@code count} rollouts (whole groups): copies of the timed ones as new groups. */
  private static List<Rollout> warmUpBatch(List<Rollout> timed, int count) {
    List<Rollout> warmUp = new ArrayList<>();
    for (int copy = 0; warmUp.size() < count; copy++) {
      List<Rollout> copies = relabel(timed, "w" + copy);
      int whole =
          Math.min(
              copies.size(), (count - warmUp.size() + GROUP_SIZE - 1) / GROUP_SIZE * GROUP_SIZE);
      warmUp.addAll(copies.subList(0, whole));
    }
    return warmUp;
  }

  /** The same rollouts as new groups: ids get a round suffix, everything else is kept. */
  private static List<Rollout> relabel(List<Rollout> rollouts, String label) {
    List<Rollout> relabelled = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      String groupId = rollout.getGroupId() + "~" + label;
      relabelled.add(
          Rollout.newBuilder(rollout)
              .setGroupId(groupId)
              .setRolloutId(groupId + "/" + rollout.getSampleIndex())
              .build());
    }
    return relabelled;
  }

  private static void cancel(PipelineResult job) {
    try {
      job.cancel();
      LOG.info("credit job cancelled: {}", job.waitUntilFinish(Duration.standardSeconds(30)));
    } catch (IllegalStateException e) {
      // The detached local mini-cluster shuts down with its only job, so asking it for the job's
      // state after the cancellation fails: the job is gone.
      LOG.info("credit job cancelled; its local cluster is shut down ({})", e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("cancelling the credit job failed: {}", e.toString());
    }
  }

  private static TokenCost tokenCost(
      String traces,
      Checkpoint checkpoint,
      CreditSettings settings,
      List<Rollout> rollouts,
      int groups)
      throws IOException {
    List<Rollout> sample = rollouts.subList(0, Math.min(rollouts.size(), groups * GROUP_SIZE));
    try (Policy policy = Policy.load(checkpoint)) {
      long before = policy.forwardTokens();
      new BareCreditLoop(settings, settings.valueEstimator()).credit(policy, sample);
      double rredcot = (policy.forwardTokens() - before) / (double) sample.size();
      before = policy.forwardTokens();
      new BareCreditLoop(settings, ValueEstimator.MC).credit(policy, sample);
      double mc = (policy.forwardTokens() - before) / (double) sample.size();
      GroupCreditor segmentation =
          GroupCreditor.builder().optSegmentation(settings.segmentation()).build();
      double segments = 0;
      for (Rollout rollout : sample) {
        TraceStep segmented = segmentation.segment(TraceCredit.of(rollout), null);
        if (!segmented.succeeded()) {
          throw new IllegalStateException(
              rollout.getRolloutId() + " cannot be segmented: " + segmented.failure());
        }
        segments += segmented.trace().boundaries().length - 1;
      }
      TokenCost cost =
          new TokenCost(
              traces, sample.size(), meanTokens(sample), segments / sample.size(), rredcot, mc);
      LOG.info("model tokens per rollout: {}", cost);
      return cost;
    }
  }

  private static List<ProducerRecord<byte[], byte[]>> records(List<Rollout> rollouts) {
    RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      records.add(
          new ProducerRecord<>(
              Topics.ROLLOUTS,
              rollout.getGroupId().getBytes(StandardCharsets.UTF_8),
              codec.encode(rollout)));
    }
    return records;
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(
        KafkaClients.secured(props), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void send(
      KafkaProducer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> records) {
    for (ProducerRecord<byte[], byte[]> record : records) {
      producer.send(record);
    }
    producer.flush();
  }

  private static List<String> ids(List<Rollout> rollouts) {
    return rollouts.stream().map(Rollout::getRolloutId).collect(Collectors.toList());
  }

  private static double meanReward(List<Rollout> rollouts) {
    return rollouts.stream().mapToDouble(Rollout::getReward).average().orElse(Double.NaN);
  }

  private static double meanTokens(List<Rollout> rollouts) {
    return rollouts.stream().mapToInt(r -> r.getTokenIds().size()).average().orElse(Double.NaN);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
