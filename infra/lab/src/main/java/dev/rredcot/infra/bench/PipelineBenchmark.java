package dev.rredcot.infra.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
 * PipelineBenchmark.run(PipelineBenchmarkOptions.builder()
 *     .setOutputDir(Path.of("target/bench")).optRollouts(1024).build());
 * }</pre>
 */
public final class PipelineBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineBenchmark.class);
  static final int GROUP_SIZE = 4;
  private static final long TIMED_SEED = 2_000_000L;
  private static final long SIX_STEP_SEED = 3_000_000L;

  private PipelineBenchmark() {}

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

  /** Runs every measurement and writes {@code summary.json}. */
  public static Result run(PipelineBenchmarkOptions options) throws IOException {
    Files.createDirectories(options.outputDir());
    Path store =
        options.checkpointDir().isEmpty()
            ? options.outputDir().resolve("policy")
            : Path.of(options.checkpointDir());
    Checkpoint checkpoint = BenchmarkPolicy.prepare(store, options.task());
    Path kafkaDir = options.outputDir().resolve("kafka");
    CreditPipelineOptions pipelineOptions = options.creditJobOptions(store, "");
    CreditSettings settings = CreditSettings.fromOptions(pipelineOptions);

    // A short and a long problem length the family's policy was (or was nearly) trained for.
    boolean countdown = options.task() == BuiltInTask.COUNTDOWN;
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
      warmUp = PipelineThroughput.warmUpBatch(timed, options.warmUpRollouts());
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

    PipelineThroughput pipeline;
    try (Policy barePolicy = Policy.load(checkpoint)) {
      BareCreditLoop bare = new BareCreditLoop(settings, settings.valueEstimator());
      bare.credit(barePolicy, warmUp);
      pipeline =
          PipelineThroughput.measure(options, kafkaDir, store, warmUp, timed, bare, barePolicy);
    }
    double barePerS = pipeline.bareRolloutsPerS();

    List<TokenCost> costs = new ArrayList<>();
    costs.add(TokenCost.measure(shortLabel, checkpoint, settings, timed, options.tokenGroups()));
    costs.add(
        TokenCost.measure(longLabel, checkpoint, settings, sixStepRollouts, options.tokenGroups()));
    costs.add(
        TokenCost.measure(
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

  /** Whole groups only: a short group would wait for the job's group timeout. */
  private static List<Rollout> rollouts(
      Policy policy, TaskFamily task, int count, long seed, PipelineBenchmarkOptions options) {
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

  private static double meanReward(List<Rollout> rollouts) {
    return rollouts.stream().mapToDouble(Rollout::getReward).average().orElse(Double.NaN);
  }

  static double meanTokens(List<Rollout> rollouts) {
    return rollouts.stream().mapToInt(r -> r.getTokenIds().size()).average().orElse(Double.NaN);
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
