package dev.rredcot.infra.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.demo.ChildJvm;
import dev.rredcot.infra.loop.LoopProcesses;
import dev.rredcot.infra.loop.LoopShape;
import dev.rredcot.infra.loop.RolloutLedger;
import dev.rredcot.infra.loop.TopicAudit;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loop benchmark: the whole online loop as processes ({@link LoopProcesses}: broker, trainer, the
 * credit job on embedded Flink with checkpoints, rollout worker(s), feeder) once per credit preset,
 * same prompts, fresh broker and state each time, without kills. Each arm warms up until the
 * trainer's first batch, then runs for a fixed window; it reports trained rollouts per second over
 * the window, what became of every rollout id (trained, stale, dead-lettered, in flight: {@link
 * RolloutLedger}) and the credit job's lag on {@code rollouts}, sampled every {@link
 * #LAG_EVERY_MS}: the ids not yet credited nor dead-lettered and the wait of the oldest.
 *
 * <p>The workers admit prompts against the trainer's in-flight budget, so the credit job's lag
 * cannot grow past the budget: a credit job that cannot keep up shows as a lag near the budget and
 * fewer trained rollouts per second, not as a lag without end. {@code credit_job_behind} is set
 * when the mean lag is at least half the budget.
 *
 * <p>Writes {@code DIR/summary.json} and, per arm, {@code DIR/<credit>/lag.tsv} and the processes'
 * logs.
 *
 * <pre>{@code
 * LoopBenchmark.Summary summary = LoopBenchmark.run(new LoopBenchmarkSettings(
 *     Path.of("/tmp/bench-loop"), List.of("grpo", "rredcot"), 1, Duration.ofSeconds(180), 1,
 *     Duration.ofMinutes(10)), listener);
 * }</pre>
 */
public final class LoopBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(LoopBenchmark.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  public static final String SUMMARY_FILE = "summary.json";
  static final long LAG_EVERY_MS = 2_000;
  private static final long TICK_MS = 500;
  static final int GROUP_SIZE = 8;
  static final int PROMPTS_PER_BATCH = 8;
  static final int BATCH_GROUPS = 8;
  // The trainer's default --in-flight-staleness: the budget is (S + 1) * B groups for all workers.
  static final int IN_FLIGHT_STALENESS = 1;
  // Far above what the loop consumes here, so the feeder never sets the pace.
  static final double PROMPTS_PER_SECOND = 20;
  static final long FLINK_CHECKPOINT_INTERVAL_MS = 5_000;
  // As the chaos run: a partial step only after a long silence, which a running loop never has.
  static final int PARTIAL_BATCH_AFTER_S = 60;
  static final double BEHIND_SHARE_OF_BUDGET = 0.5;
  static final double GOAL_RATIO = 0.9;
  private static final long DRAIN_QUIET_MS = 2_000;
  private static final long DRAIN_MAX_MS = 15_000;

  private LoopBenchmark() {}

  /** What the benchmark reports while it runs. */
  public interface Listener {
    /** A set-up stage or an arm's end, as one line. */
    void onStatus(String line);

    /** An arm's figures, every half second. */
    void onTick(Tick tick);
  }

  /**
   * An arm's figures at one moment.
   *
   * @param credit the arm's credit preset
   * @param warmingUp no batch trained yet: the window has not started
   * @param elapsedS seconds into the window (0 while warming up)
   * @param windowS the window's length
   * @param produced distinct ids on {@code rollouts}
   * @param trained distinct ids in the trained-rollouts log
   * @param trainedPerS trained in the window so far per second of it
   * @param lagRecords the credit job's lag at the last sample
   * @param lagOldestS the wait of the oldest rollout in that lag
   */
  public record Tick(
      String credit,
      boolean warmingUp,
      double elapsedS,
      double windowS,
      int produced,
      int trained,
      double trainedPerS,
      int lagRecords,
      double lagOldestS) {}

  /**
   * One arm's figures, as written to {@code summary.json}.
   *
   * @param credit the credit job's preset
   * @param warmUpS from the arm's start (broker start included) to the first trained batch
   * @param windowS the measured window
   * @param generated distinct rollout ids on {@code rollouts} over the whole arm
   * @param trained of those, trained
   * @param stale of those, dropped for staleness and not trained
   * @param deadLetters of those, dead-lettered and neither trained nor stale
   * @param inFlight of those, none of the above when the arm stopped: generated = trained + stale +
   *     dead letters + in flight
   * @param trainedInWindow distinct ids added to the trained log during the window
   * @param generatedInWindow distinct ids that arrived on {@code rollouts} during the window
   * @param trainedPerS trained in the window per second
   * @param generatedPerS generated in the window per second
   * @param staleShare stale / generated
   * @param trainerSteps the trainer's newest policy version when the arm stopped
   * @param lagSamples lag samples in the window
   * @param lagRecordsMean mean of the credit job's lag in records
   * @param lagRecordsMax largest lag in records
   * @param lagOldestSMean mean wait of the oldest rollout in the lag, seconds
   * @param lagOldestSMax longest such wait
   * @param creditLatencySMean mean time from {@code rollouts} to {@code credited-rollouts} of the
   *     rollouts credited in the window
   * @param creditLatencySP95 its 95th percentile
   * @param inFlightBudgetRollouts the budget the workers admit prompts against, in rollouts
   * @param lagShareOfBudget mean lag / budget
   * @param creditJobBehind mean lag at least half the budget
   * @param loadAverageStart the machine's 1-minute load average when the arm started
   * @param loadAverageEnd and when it ended
   * @param deadLettersByReason dead letters by {@code stage/reason}
   */
  public record ArmResult(
      @JsonProperty("credit") String credit,
      @JsonProperty("warm_up_s") double warmUpS,
      @JsonProperty("window_s") double windowS,
      @JsonProperty("generated") int generated,
      @JsonProperty("trained") int trained,
      @JsonProperty("stale") int stale,
      @JsonProperty("dead_letters") int deadLetters,
      @JsonProperty("in_flight") int inFlight,
      @JsonProperty("trained_in_window") int trainedInWindow,
      @JsonProperty("generated_in_window") int generatedInWindow,
      @JsonProperty("trained_per_s") double trainedPerS,
      @JsonProperty("generated_per_s") double generatedPerS,
      @JsonProperty("stale_share") double staleShare,
      @JsonProperty("trainer_steps") long trainerSteps,
      @JsonProperty("lag_samples") int lagSamples,
      @JsonProperty("lag_records_mean") double lagRecordsMean,
      @JsonProperty("lag_records_max") int lagRecordsMax,
      @JsonProperty("lag_oldest_s_mean") double lagOldestSMean,
      @JsonProperty("lag_oldest_s_max") double lagOldestSMax,
      @JsonProperty("credit_latency_s_mean") double creditLatencySMean,
      @JsonProperty("credit_latency_s_p95") double creditLatencySP95,
      @JsonProperty("in_flight_budget_rollouts") int inFlightBudgetRollouts,
      @JsonProperty("lag_share_of_budget") double lagShareOfBudget,
      @JsonProperty("credit_job_behind") boolean creditJobBehind,
      @JsonProperty("load_average_start") double loadAverageStart,
      @JsonProperty("load_average_end") double loadAverageEnd,
      @JsonProperty("dead_letters_by_reason") Map<String, Integer> deadLettersByReason) {}

  /**
   * The run's figures, as written to {@code summary.json}.
   *
   * @param workers rollout worker processes
   * @param windowS the measured window of each arm
   * @param seed the prompts' seed
   * @param groupSize G
   * @param promptsPerBatch prompts per worker batch
   * @param batchGroups groups per trainer step
   * @param arms one per credit preset, in the order run
   * @param rredcotVsGrpoTrainedPerS trained/s of the rredcot arm / that of the grpo arm (null
   *     unless both ran)
   * @param note what the ratio says, and whether a credit job fell behind
   * @param wallS the whole run's wall time
   */
  public record Summary(
      @JsonProperty("workers") int workers,
      @JsonProperty("window_s") double windowS,
      @JsonProperty("seed") long seed,
      @JsonProperty("group_size") int groupSize,
      @JsonProperty("prompts_per_batch") int promptsPerBatch,
      @JsonProperty("batch_groups") int batchGroups,
      @JsonProperty("arms") List<ArmResult> arms,
      @JsonProperty("rredcot_vs_grpo_trained_per_s") Double rredcotVsGrpoTrainedPerS,
      @JsonProperty("note") String note,
      @JsonProperty("wall_s") double wallS) {}

  /**
   * Runs every arm in turn and writes {@code summary.json}.
   *
   * @throws IllegalStateException when a process of the loop exits or no batch is trained within
   *     the warm-up timeout
   */
  public static Summary run(LoopBenchmarkSettings settings, Listener listener)
      throws IOException, InterruptedException {
    long startMs = System.currentTimeMillis();
    Files.createDirectories(settings.outputDir());
    List<ArmResult> arms = new ArrayList<>();
    for (int i = 0; i < settings.credits().size(); i++) {
      String credit = settings.credits().get(i);
      listener.onStatus(
          String.format(
              Locale.ROOT, "arm %d of %d: --credit %s", i + 1, settings.credits().size(), credit));
      ArmResult arm = runArm(settings, credit, listener);
      arms.add(arm);
      listener.onStatus(
          String.format(
              Locale.ROOT,
              "arm %s: %.2f trained rollouts/s, stale share %.1f%%, credit lag mean %.0f"
                  + " rollouts (max %d)",
              credit,
              arm.trainedPerS(),
              100 * arm.staleShare(),
              arm.lagRecordsMean(),
              arm.lagRecordsMax()));
    }
    Double ratio = ratio(arms);
    Summary summary =
        new Summary(
            settings.workers(),
            settings.window().toMillis() / 1000.0,
            settings.seed(),
            GROUP_SIZE,
            PROMPTS_PER_BATCH,
            BATCH_GROUPS,
            arms,
            ratio,
            note(arms, ratio),
            (System.currentTimeMillis() - startMs) / 1000.0);
    JSON.writeValue(settings.outputDir().resolve(SUMMARY_FILE).toFile(), summary);
    return summary;
  }

  private static ArmResult runArm(LoopBenchmarkSettings settings, String credit, Listener listener)
      throws IOException, InterruptedException {
    Path armDir = settings.outputDir().resolve(credit).toAbsolutePath();
    if (Files.exists(armDir)) {
      throw new IllegalStateException(
          armDir + " exists: give --out a fresh directory, so every arm starts from fresh state");
    }
    LoopBenchmarkSettings.Arm arm = LoopBenchmarkSettings.arm(credit);
    LoopProcesses processes =
        new LoopProcesses(
            new LoopShape(
                arm.credit(),
                GROUP_SIZE,
                PROMPTS_PER_BATCH,
                BATCH_GROUPS,
                settings.workers(),
                0,
                settings.seed() * 1_000_000L,
                PROMPTS_PER_SECOND,
                FLINK_CHECKPOINT_INTERVAL_MS,
                PARTIAL_BATCH_AFTER_S,
                arm.deliveryGuarantee()),
            armDir);
    Thread cleanup = new Thread(processes::close, "rredcot-bench-loop-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      return measure(settings, credit, processes, listener);
    } finally {
      processes.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook closes the processes.
      }
    }
  }

  private static ArmResult measure(
      LoopBenchmarkSettings settings, String credit, LoopProcesses processes, Listener listener)
      throws IOException, InterruptedException {
    double loadStart = loadAverage();
    long armStartMs = System.currentTimeMillis();
    Files.createDirectories(processes.logs());
    listener.onStatus("arm " + credit + ": starting a Kafka broker (its own JVM)");
    listener.onStatus("arm " + credit + ": broker up at " + processes.startBroker());
    listener.onStatus(
        String.format(
            Locale.ROOT,
            "arm %s: starting the trainer, the credit job (Flink), %d rollout worker(s) and the"
                + " feeder; warming up until the first trained batch",
            credit,
            settings.workers()));
    processes.startAll();
    TopicAudit audit = processes.audit();
    double windowS = settings.window().toMillis() / 1000.0;

    long warmUpDeadline = armStartMs + settings.warmUpTimeout().toMillis();
    int trainedAtStart = 0;
    while (trainedAtStart == 0) {
      failIfExited(processes);
      long now = System.currentTimeMillis();
      if (now > warmUpDeadline) {
        throw new IllegalStateException(
            "arm "
                + credit
                + ": no batch trained within "
                + settings.warmUpTimeout().toSeconds()
                + " s; see the logs in "
                + processes.logs());
      }
      trainedAtStart = RolloutLedger.trainedCount(processes.store());
      TopicAudit.CreditLag lag = audit.creditLag(now);
      listener.onTick(
          new Tick(
              credit,
              true,
              0,
              windowS,
              audit.producedCount(),
              trainedAtStart,
              0,
              lag.records(),
              lag.oldestS()));
      if (trainedAtStart == 0) {
        Thread.sleep(TICK_MS);
      }
    }
    long windowStartMs = System.currentTimeMillis();
    double warmUpS = (windowStartMs - armStartMs) / 1000.0;
    int producedAtStart = audit.producedCount();
    listener.onStatus(
        String.format(
            Locale.ROOT,
            "arm %s: first batch trained after %.0f s; measuring for %.0f s",
            credit,
            warmUpS,
            windowS));

    List<String> lagLines = new ArrayList<>();
    lagLines.add("elapsed_s\tlag_records\toldest_s\tproduced\ttrained");
    List<TopicAudit.CreditLag> samples = new ArrayList<>();
    long windowEndMs = windowStartMs + settings.window().toMillis();
    long nextLagMs = windowStartMs;
    TopicAudit.CreditLag lastLag = audit.creditLag(windowStartMs);
    int trained = trainedAtStart;
    long lastTrainedReadMs = 0;
    while (true) {
      long now = System.currentTimeMillis();
      if (now >= windowEndMs) {
        break;
      }
      failIfExited(processes);
      if (now >= nextLagMs) {
        lastLag = audit.creditLag(now);
        trained = RolloutLedger.trainedCount(processes.store());
        lastTrainedReadMs = now;
        samples.add(lastLag);
        lagLines.add(
            String.format(
                Locale.ROOT,
                "%.1f\t%d\t%.1f\t%d\t%d",
                (now - windowStartMs) / 1000.0,
                lastLag.records(),
                lastLag.oldestS(),
                audit.producedCount(),
                trained));
        nextLagMs += LAG_EVERY_MS;
      }
      double elapsedS = (now - windowStartMs) / 1000.0;
      listener.onTick(
          new Tick(
              credit,
              false,
              elapsedS,
              windowS,
              audit.producedCount(),
              trained,
              elapsedS > 0 && lastTrainedReadMs > 0
                  ? (trained - trainedAtStart)
                      / ((lastTrainedReadMs - windowStartMs) / 1000.0 + 1e-9)
                  : 0,
              lastLag.records(),
              lastLag.oldestS()));
      Thread.sleep(Math.min(TICK_MS, Math.max(1, windowEndMs - now)));
    }
    long endMs = System.currentTimeMillis();
    int trainedAtEnd = RolloutLedger.trainedCount(processes.store());
    int producedAtEnd = audit.producedCount();
    long steps = processes.newestVersion();
    List<Double> latencies = audit.creditLatenciesS(windowStartMs, endMs);

    listener.onStatus("arm " + credit + ": window over; stopping the feeder and the worker(s)");
    List<String> producers = new ArrayList<>();
    producers.add(LoopProcesses.FEEDER);
    producers.addAll(processes.workerNames());
    processes.stop(producers);
    awaitQuiet(audit);
    // Stopped before the ledger is read, so the trainer's logs are final.
    processes.stop(List.of(LoopProcesses.PIPELINE, LoopProcesses.TRAINER));
    awaitQuiet(audit);
    RolloutLedger.Outcomes outcomes = processes.ledger().outcomes();
    writeLines(processes.logs().getParent().resolve("lag.tsv"), lagLines);

    int budget = (IN_FLIGHT_STALENESS + 1) * BATCH_GROUPS * GROUP_SIZE;
    double lagMean = samples.stream().mapToInt(TopicAudit.CreditLag::records).average().orElse(0);
    double measuredS = (endMs - windowStartMs) / 1000.0;
    return new ArmResult(
        credit,
        warmUpS,
        measuredS,
        outcomes.produced(),
        outcomes.trained(),
        outcomes.stale(),
        outcomes.deadLetters(),
        outcomes.unaccounted(),
        trainedAtEnd - trainedAtStart,
        producedAtEnd - producedAtStart,
        (trainedAtEnd - trainedAtStart) / measuredS,
        (producedAtEnd - producedAtStart) / measuredS,
        outcomes.produced() == 0 ? 0 : outcomes.stale() / (double) outcomes.produced(),
        steps,
        samples.size(),
        lagMean,
        samples.stream().mapToInt(TopicAudit.CreditLag::records).max().orElse(0),
        samples.stream().mapToDouble(TopicAudit.CreditLag::oldestS).average().orElse(0),
        samples.stream().mapToDouble(TopicAudit.CreditLag::oldestS).max().orElse(0),
        latencies.stream().mapToDouble(Double::doubleValue).average().orElse(0),
        percentile(latencies, 0.95),
        budget,
        lagMean / budget,
        lagMean >= BEHIND_SHARE_OF_BUDGET * budget,
        loadStart,
        loadAverage(),
        outcomes.deadLettersByReason());
  }

  /** Waits until the audit has read nothing new for a moment (bounded). */
  private static void awaitQuiet(TopicAudit audit) throws InterruptedException {
    long deadline = System.currentTimeMillis() + DRAIN_MAX_MS;
    while (System.currentTimeMillis() < deadline
        && System.currentTimeMillis() - audit.lastArrival() < DRAIN_QUIET_MS) {
      Thread.sleep(200);
    }
  }

  private static void failIfExited(LoopProcesses processes) {
    List<String> names = new ArrayList<>();
    names.add(LoopProcesses.TRAINER);
    names.add(LoopProcesses.PIPELINE);
    names.addAll(processes.workerNames());
    names.add(LoopProcesses.FEEDER);
    for (String name : names) {
      ChildJvm child = processes.child(name);
      if (child != null && !child.isAlive()) {
        throw new IllegalStateException(
            "the "
                + name
                + " process exited with "
                + child.exitValue()
                + " during the benchmark (no process is restarted: the figures would not be"
                + " the loop's); its log: "
                + processes.logs().getParent().resolve("home").resolve("logs")
                + "; last lines of its output:\n"
                + String.join("\n", child.logTail(20)));
      }
    }
  }

  private static Double ratio(List<ArmResult> arms) {
    ArmResult grpo = arm(arms, "grpo");
    ArmResult rredcot = arm(arms, "rredcot");
    if (grpo == null || rredcot == null || grpo.trainedPerS() <= 0) {
      return null;
    }
    return rredcot.trainedPerS() / grpo.trainedPerS();
  }

  private static String note(List<ArmResult> arms, Double ratio) {
    List<String> parts = new ArrayList<>();
    if (ratio != null) {
      parts.add(
          String.format(
              Locale.ROOT,
              "rredcot trains %.2fx the rollouts per second of grpo (goal >= %.1fx: %s)",
              ratio,
              GOAL_RATIO,
              ratio >= GOAL_RATIO ? "met" : "not met"));
    }
    for (ArmResult arm : arms) {
      if (arm.creditJobBehind()) {
        parts.add(
            String.format(
                Locale.ROOT,
                "the %s credit job fell behind: on average %.0f of the %d rollouts the workers may"
                    + " have in flight waited for it (oldest %.1f s on average), so the workers"
                    + " waited on the budget",
                arm.credit(),
                arm.lagRecordsMean(),
                arm.inFlightBudgetRollouts(),
                arm.lagOldestSMean()));
      }
    }
    if (parts.size() == (ratio != null ? 1 : 0)) {
      parts.add("every credit job kept up (mean lag below half the in-flight budget)");
    }
    return String.join("; ", parts);
  }

  private static ArmResult arm(List<ArmResult> arms, String credit) {
    return arms.stream().filter(a -> a.credit().equals(credit)).findFirst().orElse(null);
  }

  private static double percentile(List<Double> values, double quantile) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(quantile * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void writeLines(Path file, List<String> lines) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String line : lines) {
        out.write(line);
        out.newLine();
      }
    }
    LOG.info("wrote {}", file);
  }
}
