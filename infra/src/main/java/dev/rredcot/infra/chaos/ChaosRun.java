package dev.rredcot.infra.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.demo.ChildJvm;
import dev.rredcot.infra.loop.LoopProcesses;
import dev.rredcot.infra.loop.LoopShape;
import dev.rredcot.infra.loop.RolloutLedger;
import dev.rredcot.infra.loop.TopicAudit;
import dev.rredcot.schemas.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the online loop as separate processes on one local broker ({@link LoopProcesses}: the
 * broker's JVM, the credit job on embedded Flink with checkpointing, the trainer, a rollout worker
 * and the task feeder, each a child JVM started with the CLI's own command), SIGKILLs the credit
 * job, the trainer, the worker and the broker at seeded moments (measured in rollouts produced),
 * restarts each as an operator would (same command, same store and state directories) and audits
 * every rollout by id: from the topics ({@link TopicAudit}) and the trainer's trained- and
 * stale-rollouts logs. Writes {@code produced.tsv}, {@code credited.tsv}, {@code trained.tsv},
 * {@code stale.tsv}, {@code dead.tsv}, {@code lost.tsv}, {@code kills.tsv} and {@code summary.json}
 * into the run directory.
 *
 * <p>One kill at a time: the next waits until the killed process's work has progressed again (or
 * {@link #RECOVERY_WAIT_MS} passed). A process that dies without a planned kill is restarted too
 * and counted in {@code unplanned_restarts}.
 */
public final class ChaosRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long TICK_MS = 500;
  private static final long RECOVERY_WAIT_MS = 240_000;
  private static final long ACCOUNT_EVERY_MS = 2_000;
  // The trainer trains the complete groups there are after this long without a record, so the
  // last groups of the finite stream are trained too. Longer than any outage the run causes: a
  // partial step during one moves the policy on without the groups in flight, which then arrive
  // more versions behind and may be stale.
  private static final int PARTIAL_BATCH_AFTER_S = 60;

  /** What the run reports while it runs. */
  public interface Listener {
    /** A set-up stage or a kill, as one line. */
    void onStatus(String line);

    /** The run's figures, every half second. */
    void onTick(Tick tick);
  }

  /**
   * The run's figures at one moment.
   *
   * @param elapsedS seconds since the start
   * @param target rollouts the run produces
   * @param produced distinct rollout ids on {@code rollouts}
   * @param accounted produced ids trained, stale or dead-lettered
   * @param trained distinct ids in the trained-rollouts log
   * @param deadLetters distinct ids with a dead letter
   * @param kills kills so far by kind
   * @param killsPlanned kills in the schedule
   */
  public record Tick(
      double elapsedS,
      int target,
      int produced,
      int accounted,
      int trained,
      int deadLetters,
      int kills,
      int killsPlanned) {}

  /** The processes the run kills. */
  enum Kind {
    PIPELINE,
    TRAINER,
    WORKER,
    BROKER;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One planned kill and what followed it. */
  private static final class Kill {
    final Kind kind;
    final double atFraction;
    final long downMs;
    long killMs = -1;
    long restartMs = -1;
    long recoveredMs = -1;
    long versionAtKill = -1;

    Kill(Kind kind, double atFraction, long downMs) {
      this.kind = kind;
      this.atFraction = atFraction;
      this.downMs = downMs;
    }
  }

  private final ChaosSettings settings;
  private final Path runDir;
  private final LoopProcesses processes;
  private final Map<String, Integer> unplannedRestarts = new TreeMap<>();
  private TopicAudit audit;

  public ChaosRun(ChaosSettings settings) {
    this.settings = settings;
    this.runDir = settings.runDir().toAbsolutePath();
    this.processes =
        new LoopProcesses(
            new LoopShape(
                settings.credit(),
                settings.groupSize(),
                settings.promptsPerBatch(),
                settings.batchGroups(),
                1,
                settings.prompts(),
                settings.seed() * 1_000_000L,
                settings.promptsPerSecond(),
                settings.flinkCheckpointIntervalMs(),
                PARTIAL_BATCH_AFTER_S),
            runDir);
  }

  /**
   * Runs the loop with its kills until every produced rollout is accounted for or the timeout, and
   * writes the audit.
   *
   * @throws IOException when the run directory cannot be written
   */
  public ChaosSummary run(Listener listener) throws IOException, InterruptedException {
    Files.createDirectories(processes.logs());
    JSON.writeValue(runDir.resolve("config.json").toFile(), config());
    Thread cleanup = new Thread(this::stopAll, "rredcot-chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      return runLoop(listener);
    } finally {
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook runs stopAll.
      }
    }
  }

  private ChaosSummary runLoop(Listener listener) throws IOException, InterruptedException {
    long startMs = System.currentTimeMillis();
    listener.onStatus("starting a Kafka broker (its own JVM)");
    listener.onStatus("broker up at " + processes.startBroker());
    audit = processes.audit();

    listener.onStatus(
        "starting the trainer, the credit job ("
            + settings.credit()
            + ", Flink), the rollout worker and the feeder ("
            + settings.prompts()
            + " prompts)");
    processes.startAll();

    List<Kill> plan = plan();
    listener.onStatus(
        "kill schedule (seed "
            + settings.seed()
            + "): "
            + String.join(
                ", ",
                plan.stream()
                    .map(
                        k ->
                            String.format(
                                Locale.ROOT, "%s at %.0f%%", k.kind.label(), 100 * k.atFraction))
                    .toList()));
    int target = settings.prompts() * settings.groupSize();
    long deadline = startMs + settings.timeout().toMillis();
    int next = 0;
    Kill current = null;
    RolloutLedger latest = processes.ledger();
    long lastAuditMs = System.currentTimeMillis();
    boolean complete = false;
    while (true) {
      long now = System.currentTimeMillis();
      restartUnplanned(current);
      if (current != null) {
        if (current.restartMs < 0 && now >= current.killMs + current.downMs) {
          restart(current, listener);
        }
        if (current.restartMs >= 0 && current.recoveredMs < 0) {
          current.recoveredMs = progressAfter(current);
          if (current.recoveredMs >= 0) {
            listener.onStatus(
                String.format(
                    Locale.ROOT,
                    "%s working again %.1f s after the kill",
                    current.kind.label(),
                    (current.recoveredMs - current.killMs) / 1000.0));
          }
        }
        boolean finished = current.recoveredMs >= 0;
        boolean gaveUp =
            current.restartMs >= 0
                && (now - current.restartMs > RECOVERY_WAIT_MS || allAccounted(latest, target));
        if (finished || gaveUp) {
          current = null;
        }
      }
      if (current == null
          && next < plan.size()
          && audit.producedCount() >= plan.get(next).atFraction * target) {
        current = plan.get(next++);
        kill(current, listener);
      }
      if (now - lastAuditMs >= ACCOUNT_EVERY_MS) {
        latest = processes.ledger();
        lastAuditMs = now;
      }
      listener.onTick(
          new Tick(
              (now - startMs) / 1000.0,
              target,
              latest.produced().size(),
              latest.accounted(),
              latest.trainedCounts().size(),
              latest.dead().size(),
              (int) plan.stream().filter(k -> k.killMs >= 0).count(),
              plan.size()));
      if (next == plan.size() && current == null && allAccounted(latest, target)) {
        complete = true;
        break;
      }
      if (now > deadline) {
        listener.onStatus("timeout: not every produced rollout is accounted for");
        break;
      }
      Thread.sleep(TICK_MS);
    }
    RolloutLedger last = processes.ledger();
    complete = complete && last.unaccounted().isEmpty();
    double wallS = (System.currentTimeMillis() - startMs) / 1000.0;
    ChaosSummary summary = summary(plan, last, complete, wallS);
    write(plan, last, summary);
    return summary;
  }

  private boolean allAccounted(RolloutLedger ledger, int target) {
    ChildJvm feeder = processes.child(LoopProcesses.FEEDER);
    return feeder != null
        && !feeder.isAlive()
        && feeder.exitValue() == 0
        && ledger.produced().size() >= target
        && ledger.unaccounted().isEmpty();
  }

  /**
   * Each kind {@code killsPerKind} times in a seeded order, the i-th of n kills at a seeded point
   * of the i-th n-th of 5%..75% of the rollouts produced, down for 1 to 5 s.
   */
  private List<Kill> plan() {
    Random random = new Random(settings.seed());
    List<Kind> kinds = new ArrayList<>();
    for (int k = 0; k < settings.killsPerKind(); k++) {
      kinds.addAll(List.of(Kind.values()));
    }
    Collections.shuffle(kinds, random);
    List<Kill> plan = new ArrayList<>();
    int n = kinds.size();
    for (int i = 0; i < n; i++) {
      double fraction = 0.05 + 0.7 * (i + random.nextDouble()) / n;
      plan.add(new Kill(kinds.get(i), fraction, 1_000 + random.nextInt(4_000)));
    }
    return plan;
  }

  private void kill(Kill kill, Listener listener) throws InterruptedException {
    kill.versionAtKill = processes.newestVersion();
    kill.killMs = System.currentTimeMillis();
    if (kill.kind == Kind.BROKER) {
      processes.killBroker();
    } else {
      processes.kill(kill.kind.label());
    }
    listener.onStatus(
        String.format(
            Locale.ROOT,
            "SIGKILL %s at %d rollouts produced; restarting in %.1f s",
            kill.kind.label(),
            audit.producedCount(),
            kill.downMs / 1000.0));
  }

  private void restart(Kill kill, Listener listener) {
    if (kill.kind == Kind.BROKER) {
      processes.restartBroker();
    } else {
      processes.start(kill.kind.label());
    }
    kill.restartMs = System.currentTimeMillis();
    listener.onStatus("restarted " + kill.kind.label() + " (same command, same state)");
  }

  /** Restarts a child that died without a planned kill (not the one down for {@code current}). */
  private void restartUnplanned(Kill current) {
    for (Kind kind : List.of(Kind.TRAINER, Kind.PIPELINE, Kind.WORKER)) {
      boolean plannedDown = current != null && current.kind == kind && current.restartMs < 0;
      ChildJvm child = processes.child(kind.label());
      if (!plannedDown && child != null && !child.isAlive()) {
        LOG.warn(
            "{} exited by itself with {}; restarting it. Last lines:\n{}",
            kind.label(),
            child.exitValue(),
            String.join("\n", child.logTail(20)));
        unplannedRestarts.merge(kind.label(), 1, Integer::sum);
        processes.start(kind.label());
      }
    }
    ChildJvm feeder = processes.child(LoopProcesses.FEEDER);
    if (feeder != null && !feeder.isAlive() && feeder.exitValue() != 0) {
      LOG.warn("feeder exited with {}; restarting it", feeder.exitValue());
      unplannedRestarts.merge(LoopProcesses.FEEDER, 1, Integer::sum);
      processes.start(LoopProcesses.FEEDER);
    }
  }

  /** When the killed process's work progressed after its restart, or -1. */
  private long progressAfter(Kill kill) {
    return switch (kill.kind) {
      case PIPELINE -> audit.firstArrivalAfter(Topics.CREDITED_ROLLOUTS, kill.restartMs);
      case WORKER -> audit.firstArrivalAfter(Topics.ROLLOUTS, kill.restartMs);
      case BROKER -> {
        long rollouts = audit.firstArrivalAfter(Topics.ROLLOUTS, kill.restartMs);
        long credited = audit.firstArrivalAfter(Topics.CREDITED_ROLLOUTS, kill.restartMs);
        yield rollouts < 0 ? credited : credited < 0 ? rollouts : Math.min(rollouts, credited);
      }
      case TRAINER ->
          processes.newestVersion() > kill.versionAtKill ? System.currentTimeMillis() : -1;
    };
  }

  private ChaosSummary summary(
      List<Kill> plan, RolloutLedger ledger, boolean complete, double wallS) {
    Map<String, Integer> kills = new LinkedHashMap<>();
    Map<String, Double> recovery = new LinkedHashMap<>();
    for (Kind kind : Kind.values()) {
      kills.put(kind.label(), 0);
      recovery.put(kind.label(), null);
    }
    for (Kill kill : plan) {
      if (kill.killMs < 0) {
        continue;
      }
      kills.merge(kill.kind.label(), 1, Integer::sum);
      if (kill.recoveredMs >= 0) {
        double seconds = (kill.recoveredMs - kill.killMs) / 1000.0;
        recovery.merge(kill.kind.label(), seconds, Math::max);
      }
    }
    RolloutLedger.Outcomes outcomes = ledger.outcomes();
    return new ChaosSummary(
        settings.prompts() * settings.groupSize(),
        settings.seed(),
        kills,
        new TreeMap<>(unplannedRestarts),
        outcomes.produced(),
        ledger.credited().size(),
        ledger.trainedCounts().size(),
        outcomes.unaccounted(),
        ledger.trainedTwice(),
        outcomes.stale(),
        outcomes.deadLetters(),
        outcomes.deadLettersByReason(),
        recovery,
        complete,
        wallS);
  }

  private void write(List<Kill> plan, RolloutLedger audit, ChaosSummary summary)
      throws IOException {
    writeLines(runDir.resolve("produced.tsv"), audit.produced());
    writeLines(runDir.resolve("credited.tsv"), audit.credited());
    List<String> trained = new ArrayList<>();
    audit
        .trainedVersion()
        .forEach(
            (id, version) ->
                trained.add(id + "\t" + version + "\t" + audit.trainedCounts().get(id)));
    writeLines(runDir.resolve("trained.tsv"), trained);
    writeLines(runDir.resolve("stale.tsv"), audit.staleIds());
    List<String> dead = new ArrayList<>();
    audit.dead().forEach((id, stageAndReason) -> dead.add(id + "\t" + stageAndReason));
    writeLines(runDir.resolve("dead.tsv"), dead);
    writeLines(runDir.resolve("lost.tsv"), audit.unaccounted());
    List<String> kills = new ArrayList<>();
    kills.add("kind\tat_fraction\tkill_ms\trestart_ms\trecovered_ms");
    for (Kill kill : plan) {
      kills.add(
          String.format(
              Locale.ROOT,
              "%s\t%.3f\t%d\t%d\t%d",
              kill.kind.label(),
              kill.atFraction,
              kill.killMs,
              kill.restartMs,
              kill.recoveredMs));
    }
    writeLines(runDir.resolve("kills.tsv"), kills);
    JSON.writeValue(runDir.resolve("summary.json").toFile(), summary);
  }

  private static void writeLines(Path file, Collection<String> lines) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String line : lines) {
        out.write(line);
        out.newLine();
      }
    }
  }

  private Map<String, Object> config() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("rollouts", settings.rollouts());
    config.put("prompts", settings.prompts());
    config.put("seed", settings.seed());
    config.put("kills_per_kind", settings.killsPerKind());
    config.put("credit", settings.credit());
    config.put("group_size", settings.groupSize());
    config.put("prompts_per_batch", settings.promptsPerBatch());
    config.put("batch_groups", settings.batchGroups());
    config.put("prompts_per_second", settings.promptsPerSecond());
    config.put("flink_checkpoint_interval_ms", settings.flinkCheckpointIntervalMs());
    config.put("timeout_s", settings.timeout().toSeconds());
    config.put("partial_batch_after_s", PARTIAL_BATCH_AFTER_S);
    return config;
  }

  /** Stops what runs: the feeder, worker, credit job and trainer (SIGTERM), then the broker. */
  private void stopAll() {
    processes.close();
    audit = null;
  }
}
