package dev.rredcot.infra.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.infra.logs.CliLogs;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.files.OwnerOnlyFiles;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.pretrain.ShippedPolicies;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.RolloutWorkerStats;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.service.RunningService;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.model.trainer.TrainerStats;
import dev.rredcot.schemas.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the whole online loop on the local stack: a Kafka broker (a child process), the task
 * feeder, a rollout worker, the credit pipeline on the embedded Flink runner and the trainer, from
 * the shipped policy of the run's task family, for a time or step budget. It writes the run
 * directory ({@code config.json}, {@code metrics.jsonl}, {@code summary.json}, {@code report.html})
 * and stops every component it started, also when interrupted (Ctrl-C, SIGTERM): then it still
 * writes the summary and report of what ran, marked as interrupted.
 *
 * <pre>{@code
 * DemoSummary summary = new DemoRun(DemoSettings.builder(runDir).build()).run(System.out::println);
 * }</pre>
 */
public final class DemoRun {
  private static final Logger LOG = LoggerFactory.getLogger(DemoRun.class);
  private static final long TICK_MS = 1_000;
  private static final int CHECKPOINTS_KEPT = 8;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper JSON_LINES = new ObjectMapper();

  /** One line of the live progress display (and of {@code metrics.jsonl}). */
  public record Tick(
      double elapsedS,
      double budgetS,
      long step,
      long policyVersion,
      long rolloutsPublished,
      long rolloutsCredited,
      long rolloutsTrained,
      double rolloutsPerS,
      double recentMeanReward,
      double heldOutAccuracy,
      long deadLetters,
      long staleDropped) {}

  /** Receives what a run is doing: set-up stages as lines, then a tick about once a second. */
  public interface Listener {
    void onStatus(String line);

    void onTick(Tick tick);
  }

  /** The parts of a running loop: what a summary and report of an interrupted run are made of. */
  private record Loop(
      CheckpointStore store,
      Checkpoint initial,
      TaskFamily task,
      EvaluationResult initialEvaluation,
      StreamObserver observer,
      TrainerService trainer,
      RolloutWorker worker) {}

  private final DemoSettings settings;
  // Broker, stream observer and credit pipeline: stopped newest first, after the services.
  private final List<AutoCloseable> started = new ArrayList<>();
  // The credit job's client config on the secured broker of the run; null for a plaintext broker.
  private Path clientConfigFile;
  private Path trustedKeysFile;
  // Trainer, rollout worker and task feeder: the Kafka clients, stopped first and together.
  private final List<RunningService> services = new ArrayList<>();
  private final List<Tick> ticks = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean signalled = new AtomicBoolean();
  private final AtomicBoolean outcomeWritten = new AtomicBoolean();
  private volatile Loop loop;
  private long startMs;

  public DemoRun(DemoSettings settings) {
    this.settings = settings;
  }

  /**
   * Runs the loop and writes the run directory.
   *
   * @param listener receives set-up stages and a {@link Tick} about once a second
   * @throws IOException when the run directory cannot be written
   * @throws IllegalStateException when a component fails (its error is the cause)
   */
  public DemoSummary run(Listener listener) throws IOException, InterruptedException {
    Path runDir = settings.runDir();
    OwnerOnlyFiles.createDirectories(runDir);
    JSON.writeValue(runDir.resolve("config.json").toFile(), config());
    startMs = System.currentTimeMillis();
    Thread onSignal = new Thread(() -> stopOnSignal(listener), "rredcot-demo-interrupted");
    Runtime.getRuntime().addShutdownHook(onSignal);
    try {
      return runLoop(runDir, listener);
    } catch (Exception | Error e) {
      // Components stopped by the hook make the loop fail; the hook reports, the JVM exits.
      awaitHaltIfSignalled();
      throw e;
    } finally {
      awaitHaltIfSignalled();
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException shuttingDown) {
        // A signal came just now: its hook stops and reports.
        new CountDownLatch(1).await();
      }
    }
  }

  /**
   * The shutdown hook (Ctrl-C, SIGTERM): stops every component, clients before the broker, and
   * writes {@code summary.json} and {@code report.html} for what ran, marked as interrupted (no
   * final evaluation: it would hold up the exit).
   */
  private void stopOnSignal(Listener listener) {
    signalled.set(true);
    listener.onStatus("interrupted: stopping the loop's processes");
    stopAll();
    Loop current = loop;
    if (current == null) {
      listener.onStatus("interrupted during set-up: no summary");
      return;
    }
    try {
      DemoSummary summary = writeOutcome(current, null);
      if (summary != null) {
        listener.onStatus(
            String.format(
                Locale.ROOT,
                "interrupted after %d steps (%.0f s); summary %s, report %s",
                summary.trainingSteps(),
                summary.wallS(),
                settings.runDir().resolve("summary.json"),
                settings.runDir().resolve("report.html")));
      }
    } catch (Exception | Error e) {
      LOG.error("writing the interrupted run's summary and report failed", e);
      listener.onStatus("writing the summary and report failed: " + e);
    }
  }

  /** The main thread waits here once a signal came, while the shutdown hook reports. */
  private void awaitHaltIfSignalled() throws InterruptedException {
    if (signalled.get()) {
      new CountDownLatch(1).await();
    }
  }

  private DemoSummary runLoop(Path runDir, Listener listener)
      throws IOException, InterruptedException {
    String bootstrap = settings.bootstrapServers();
    if (bootstrap == null) {
      listener.onStatus("starting a Kafka broker for this run");
      bootstrap = startBroker(runDir.resolve("stack"));
      listener.onStatus("broker up at " + bootstrap);
    } else {
      try (TopicAdmin admin = TopicAdmin.connect(bootstrap, Duration.ofSeconds(30))) {
        admin.createTopics(Topics.ALL, 2, Map.of());
      }
    }

    // The run's own signing key: the run's trainer signs, and the worker and the credit job (a
    // child JVM, through --trusted-keys) load only what it signed, as separate processes would.
    Path signingKeyFile = runDir.resolve("keys").resolve("checkpoint-signing.key");
    CheckpointSigningKey signingKey = CheckpointSigningKey.loadOrGenerate(signingKeyFile);
    trustedKeysFile = CheckpointSigningKey.publicFile(signingKeyFile);
    CheckpointStore store =
        new CheckpointStore(
                runDir.resolve("checkpoints"),
                CHECKPOINTS_KEPT,
                ShippedPolicies.trustSignedBy(trustedKeysFile))
            .withSigner(signingKey);
    BuiltInTask family = settings.evaluationTask();
    Checkpoint initial = family.materialiseShipped(store);
    // The task the family's shipped policy was warmed up and measured on.
    TaskFamily task = family.trained();
    HeldOutEvaluator evaluator =
        HeldOutEvaluator.builder()
            .setTask(task)
            .optPrompts(settings.evalPrompts())
            .optSamplesPerPrompt(settings.evalSamples())
            .build();
    EvaluationResult initialEvaluation;
    try (Policy policy = Policy.load(initial)) {
      listener.onStatus(
          "evaluating the initial policy on " + settings.evalPrompts() + " held-out prompts");
      initialEvaluation = evaluator.evaluate(policy);
    }
    listener.onStatus(
        String.format(
            Locale.ROOT,
            "initial policy: held-out accuracy %.1f%% (greedy %.1f%%) on %d prompts x %d samples",
            100 * initialEvaluation.sampledAccuracy(),
            100 * initialEvaluation.greedyAccuracy(),
            initialEvaluation.prompts(),
            initialEvaluation.samplesPerPrompt()));

    // The observer starts first so that it stops last among the loop's parts (stopAll goes newest
    // first) and sees the checkpoint of a training step that finishes while the trainer stops.
    StreamObserver observer =
        new StreamObserver(
            bootstrap, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS, Topics.CHECKPOINTS);
    started.add(observer);
    observer.start();

    PolicyUpdateOptions.Builder train =
        PolicyUpdateOptions.builder().optLearningRate(settings.learningRate());
    if (settings.klCoefficient() > 0) {
      // The penalty's reference is the run's initial policy, frozen; closed after the trainer.
      Policy reference = Policy.load(initial);
      started.add(reference);
      train.optKlPenalty(settings.klCoefficient(), reference);
    }
    TrainerService trainer =
        TrainerService.builder()
            .setBootstrapServers(bootstrap)
            .setCheckpointStore(store)
            .optOptions(
                TrainerOptions.builder()
                    .optBatchGroups(settings.batchGroups())
                    .optTrainOptions(train.build())
                    .optEvaluator(evaluator, settings.evalEveryVersions())
                    .build())
            .optInFlightBudget(
                Topics.ROLLOUT_BUDGET,
                settings.inFlightStaleness(),
                settings.inFlightWriteOffAfter())
            .build();
    services.add(trainer);
    trainer.start();

    // The credit job runs in a JVM of its own: an unbounded job on the embedded Flink cluster
    // only ends when its process does, and the process keeps Flink's threads off this one.
    listener.onStatus("starting the credit pipeline (" + settings.credit() + ") on embedded Flink");
    ChildJvm pipeline =
        ChildJvm.start(
            "credit pipeline",
            ChildJvm.CLI_MAIN_CLASS,
            pipelineArgs(bootstrap, store.root()),
            // Its own log lines go to logs/pipeline.log; this file gets what it prints.
            runDir.resolve("logs").resolve("pipeline.out"),
            Map.of(CliLogs.LOG_DIR_VARIABLE, runDir.resolve("logs").toString()));
    started.add(pipeline);

    RolloutWorker worker =
        RolloutWorker.builder()
            .setBootstrapServers(bootstrap)
            .setCheckpointStore(store)
            .setTaskFamilies(List.of(task))
            .optInitialPolicy(Policy.load(initial))
            .optGroupSize(settings.groupSize())
            .optPromptsPerBatch(settings.promptsPerBatch())
            // The trainer's budget, (S + 1)·B groups in flight: the trainer never starves, and
            // little is sampled that the staleness bound would throw away.
            .optInFlightBudget(Topics.ROLLOUT_BUDGET)
            .build();
    services.add(worker);
    worker.start();

    TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(bootstrap)
            .setTask(task)
            .optPromptsPerSecond(settings.promptsPerSecond())
            .build();
    services.add(feeder);
    feeder.start();
    loop = new Loop(store, initial, task, initialEvaluation, observer, trainer, worker);

    // The budget is the loop's: set-up (broker, first evaluation, Flink) is not counted in it.
    long loopStartMs = System.currentTimeMillis();
    Deque<long[]> rateWindow = new ArrayDeque<>();
    long budgetMs = settings.budget().toMillis();
    try (BufferedWriter metrics =
        Files.newBufferedWriter(runDir.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      while (true) {
        Thread.sleep(TICK_MS);
        awaitHaltIfSignalled();
        failIfStopped(trainer.failure(), "trainer");
        failIfStopped(worker.failure(), "rollout worker");
        failIfStopped(feeder.failure(), "task feeder");
        pipeline.failIfExited();
        long nowMs = System.currentTimeMillis();
        Tick tick =
            tick(nowMs - loopStartMs, trainer.stats(), worker.stats(), observer, rateWindow);
        ticks.add(tick);
        metrics.write(JSON_LINES.writeValueAsString(tick));
        metrics.newLine();
        metrics.flush();
        listener.onTick(tick);
        boolean outOfTime = nowMs - loopStartMs >= budgetMs;
        boolean outOfSteps = settings.maxSteps() > 0 && tick.step() >= settings.maxSteps();
        if (outOfTime || outOfSteps) {
          break;
        }
      }
    }

    // Counters after the stop: a training step in flight when the budget ran out finishes (and
    // publishes its checkpoint) while the trainer stops, and belongs in the summary.
    stopAll();
    Checkpoint last = store.latest().orElse(initial);
    listener.onStatus("evaluating policy v" + last.version() + " on the same held-out prompts");
    EvaluationResult finalEvaluation;
    try (Policy policy = Policy.load(last)) {
      finalEvaluation = evaluator.evaluate(policy);
    }
    DemoSummary summary = writeOutcome(loop, finalEvaluation);
    if (summary == null) {
      // A signal came during the final evaluation: the hook wrote the interrupted run's files.
      awaitHaltIfSignalled();
    }
    return summary;
  }

  /**
   * Writes {@code summary.json} and {@code report.html} once, from the stopped loop's counters;
   * {@code finalEvaluation} null marks an interrupted run. Returns null when they were written
   * already.
   */
  private DemoSummary writeOutcome(Loop stopped, EvaluationResult finalEvaluation)
      throws IOException {
    if (!outcomeWritten.compareAndSet(false, true)) {
      return null;
    }
    Path runDir = settings.runDir();
    // Counters after the stop: a training step in flight when the budget ran out finishes (and
    // publishes its checkpoint) while the trainer stops, and belongs in the summary.
    StreamObserver.Snapshot stream = stopped.observer().snapshot();
    Checkpoint last = stopped.store().latest().orElse(stopped.initial());
    double wallS = (System.currentTimeMillis() - startMs) / 1000.0;
    DemoSummary summary =
        DemoSummary.of(
            settings,
            stopped.initialEvaluation(),
            finalEvaluation,
            stopped.worker().stats(),
            stopped.trainer().stats(),
            stream,
            wallS);
    JSON.writeValue(runDir.resolve("summary.json").toFile(), summary);
    List<Tick> ticksSoFar;
    synchronized (ticks) {
      ticksSoFar = List.copyOf(ticks);
    }
    DemoReport.write(
        runDir.resolve("report.html"),
        summary,
        ticksSoFar,
        stream,
        Tokenizer.load(last.dir()),
        stopped.task());
    return summary;
  }

  private Tick tick(
      long elapsedMs,
      TrainerStats trainer,
      RolloutWorkerStats worker,
      StreamObserver observer,
      Deque<long[]> rateWindow) {
    StreamObserver.Snapshot stream = observer.snapshot();
    // Rollouts per second over the last ten seconds of credited output.
    rateWindow.addLast(new long[] {elapsedMs, stream.credited()});
    while (rateWindow.size() > 11) {
      rateWindow.removeFirst();
    }
    long[] first = rateWindow.peekFirst();
    double spanS = (elapsedMs - first[0]) / 1000.0;
    double rate = spanS > 0 ? (stream.credited() - first[1]) / spanS : 0;
    return new Tick(
        elapsedMs / 1000.0,
        settings.budget().toMillis() / 1000.0,
        trainer.steps(),
        trainer.policyVersion(),
        worker.rolloutsPublished(),
        stream.credited(),
        trainer.rolloutsTrained(),
        rate,
        stream.recentMeanReward(),
        trainer.lastHeldOutAccuracy(),
        stream.deadLetters(),
        trainer.staleDropped());
  }

  private List<String> pipelineArgs(String bootstrap, Path checkpointDir) {
    List<String> args = new ArrayList<>(List.of("pipeline", "--bootstrap", bootstrap));
    if (clientConfigFile != null) {
      args.addAll(List.of("--kafka-config", clientConfigFile.toString()));
    }
    args.addAll(
        List.of(
            "--runner=FlinkRunner",
            "--flink-master=[local]",
            "--parallelism=1",
            "--credit=" + settings.credit(),
            "--store=" + checkpointDir,
            "--trusted-keys=" + trustedKeysFile,
            // The run's own Flink checkpoints: a demo starts fresh, never from an earlier run's.
            "--state-backend-storage-path="
                + settings.runDir().resolve("flink-checkpoints").toAbsolutePath().toUri(),
            "--fresh"));
    return args;
  }

  /** The resolved configuration, as written to {@code config.json}. */
  private Map<String, Object> config() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("credit", settings.credit());
    config.put("budget_s", settings.budget().toSeconds());
    config.put("max_steps", settings.maxSteps());
    config.put("run_dir", settings.runDir().toString());
    config.put("bootstrap_servers", settings.bootstrapServers());
    config.put("secure", settings.secure());
    config.put("group_size", settings.groupSize());
    config.put("prompts_per_batch", settings.promptsPerBatch());
    config.put("batch_groups", settings.batchGroups());
    config.put("in_flight_staleness", settings.inFlightStaleness());
    config.put("in_flight_write_off_after_s", settings.inFlightWriteOffAfter().toSeconds());
    config.put("learning_rate", settings.learningRate());
    config.put("kl_coefficient", settings.klCoefficient());
    config.put("prompts_per_second", settings.promptsPerSecond());
    config.put("eval_prompts", settings.evalPrompts());
    config.put("eval_samples", settings.evalSamples());
    config.put("eval_every_versions", settings.evalEveryVersions());
    config.put(
        "task",
        settings.evaluationTask() == BuiltInTask.COUNTDOWN
            ? PretrainOptions.COUNTDOWN_POLICY_TASK.toString()
            : PretrainOptions.INITIAL_POLICY_TASK.toString());
    config.put("task_family", settings.task());
    return config;
  }

  private String startBroker(Path stackDir) {
    RredcotHome stack = RredcotHome.at(stackDir);
    LocalKafkaBroker broker = new LocalKafkaBroker(stack);
    int port = freePort();
    LocalKafkaBroker.UpResult up =
        broker.up(
            LocalBrokerSettings.builder()
                .optPort(port)
                .optControllerPort(freePort())
                .optSecure(settings.secure())
                .build());
    started.add(() -> broker.down(Duration.ofSeconds(20)));
    if (settings.secure()) {
      // The credit job's JVM logs in as the credit role. Trainer, worker, feeder and observer run
      // in this process, whose Kafka clients all share one config (KafkaClients): the admin's,
      // the one role that may do what all four do.
      KafkaClients.useClientConfig(broker.runningClientConfig(ClientRole.ADMIN).orElseThrow());
      clientConfigFile = stack.clientPropertiesFile(ClientRole.CREDIT.roleName());
    }
    LOG.info("broker for this run at {}", up.broker().bootstrapServers());
    return up.broker().bootstrapServers();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private static void failIfStopped(Throwable failure, String component) {
    if (failure != null) {
      throw new IllegalStateException("the " + component + " stopped: " + failure, failure);
    }
  }

  /**
   * Stops what was started: the services (Kafka clients) together first, then the credit pipeline,
   * the observer and the broker, newest first; safe to call twice and from the hook.
   */
  private synchronized void stopAll() {
    List<Thread> stopping = new ArrayList<>();
    for (RunningService service : services) {
      Thread stopper =
          new Thread(
              () -> {
                try {
                  service.close();
                } catch (Exception e) {
                  LOG.warn("stopping a demo service failed: {}", e.toString());
                }
              },
              "rredcot-demo-stop");
      stopper.start();
      stopping.add(stopper);
    }
    services.clear();
    for (Thread stopper : stopping) {
      try {
        stopper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    while (!started.isEmpty()) {
      AutoCloseable component = started.remove(started.size() - 1);
      try {
        component.close();
      } catch (Exception e) {
        LOG.warn("stopping a demo component failed: {}", e.toString());
      }
    }
  }
}
