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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the online loop as separate processes on one local broker ({@link LoopProcesses}: the
 * broker's JVM, the credit job with checkpointing, on embedded Flink in its own JVM or submitted to
 * a standalone Flink session cluster of the run's own, the trainer, a rollout worker and the task
 * feeder, each a child JVM started with the CLI's own command), SIGKILLs them at seeded moments
 * (measured in rollouts produced), restarts each as an operator would (same command, same store and
 * state directories) and audits every rollout by id: from the topics ({@link TopicAudit}) and the
 * trainer's trained- and stale-rollouts logs, and every prompt by id and attempt on {@code
 * prompts}. Writes {@code produced.tsv}, {@code credited.tsv}, {@code trained.tsv}, {@code
 * stale.tsv}, {@code dead.tsv}, {@code lost.tsv}, {@code prompts.tsv}, {@code kills.tsv} and {@code
 * summary.json} into the run directory.
 *
 * <p>The schedule is a seeded list of episodes: single kills ({@link ChaosSettings#kinds()}, each
 * {@link ChaosSettings#killsPerKind()} times) and overlapping faults (two kinds, the second killed
 * 0 to 3 s after the first, each restarted after its own 1 to 5 s). One episode at a time: the next
 * waits until every process killed in it has progressed again (or {@link #RECOVERY_WAIT_MS} passed
 * since its restart). A process that dies without a planned kill is restarted too and counted in
 * {@code unplanned_restarts}.
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

  /** One planned kill and what followed it. */
  private static final class Kill {
    final ProcessKind kind;
    final long offsetMs;
    final long downMs;
    long killMs = -1;
    long restartMs = -1;
    long recoveredMs = -1;
    long versionAtKill = -1;

    Kill(ProcessKind kind, long offsetMs, long downMs) {
      this.kind = kind;
      this.offsetMs = offsetMs;
      this.downMs = downMs;
    }

    /** Killed and not started again yet. */
    boolean down() {
      return killMs >= 0 && restartMs < 0;
    }
  }

  /**
   * One fault of the schedule: a single kill, or an overlap of two (the second {@link
   * Kill#offsetMs} after the first), at a point measured in rollouts produced.
   */
  private static final class Episode {
    final int number;
    final double atFraction;
    final List<Kill> kills;
    long startMs = -1;

    Episode(int number, double atFraction, List<Kill> kills) {
      this.number = number;
      this.atFraction = atFraction;
      this.kills = kills;
    }

    boolean overlap() {
      return kills.size() > 1;
    }

    String label() {
      return kills.stream().map(k -> k.kind.label()).collect(Collectors.joining("+"));
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
                PARTIAL_BATCH_AFTER_S,
                LoopShape.AT_LEAST_ONCE),
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
    if (settings.onFlinkCluster()) {
      listener.onStatus("starting a Flink session cluster (JobManager, TaskManager: own JVMs)");
      listener.onStatus(
          "Flink cluster up at http://"
              + processes.startFlinkCluster(settings.flinkClusterJobJar())
              + "; the credit job is submitted to it");
    }

    listener.onStatus(
        "starting the trainer, the credit job ("
            + settings.credit()
            + (settings.onFlinkCluster() ? ", Flink cluster" : ", Flink")
            + "), the rollout worker and the feeder ("
            + settings.prompts()
            + " prompts)");
    processes.startAll();

    List<Episode> plan = plan();
    listener.onStatus(
        "kill schedule (seed "
            + settings.seed()
            + "): "
            + String.join(
                ", ",
                plan.stream()
                    .map(
                        e ->
                            String.format(
                                Locale.ROOT, "%s at %.0f%%", e.label(), 100 * e.atFraction))
                    .toList()));
    int target = settings.prompts() * settings.groupSize();
    long deadline = startMs + settings.timeout().toMillis();
    int killsPlanned = plan.stream().mapToInt(e -> e.kills.size()).sum();
    int next = 0;
    Episode current = null;
    RolloutLedger latest = processes.ledger();
    long lastAuditMs = System.currentTimeMillis();
    boolean complete = false;
    while (true) {
      long now = System.currentTimeMillis();
      restartUnplanned(current);
      if (current == null
          && next < plan.size()
          && audit.producedCount() >= plan.get(next).atFraction * target) {
        current = plan.get(next++);
        current.startMs = now;
      }
      if (current != null) {
        boolean settled = true;
        for (Kill kill : current.kills) {
          if (kill.killMs < 0 && now >= current.startMs + kill.offsetMs) {
            kill(kill, current, listener);
          }
          if (kill.down() && System.currentTimeMillis() >= kill.killMs + kill.downMs) {
            restart(kill, listener);
          }
          if (kill.restartMs >= 0 && kill.recoveredMs < 0) {
            kill.recoveredMs = progressAfter(kill);
            if (kill.recoveredMs >= 0) {
              listener.onStatus(
                  String.format(
                      Locale.ROOT,
                      "%s working again %.1f s after the kill",
                      kill.kind.label(),
                      (kill.recoveredMs - kill.killMs) / 1000.0));
            }
          }
          boolean gaveUp =
              kill.restartMs >= 0
                  && (now - kill.restartMs > RECOVERY_WAIT_MS || allAccounted(latest, target));
          settled &= kill.recoveredMs >= 0 || gaveUp;
        }
        if (settled) {
          current = null;
        }
      }
      if (now - lastAuditMs >= ACCOUNT_EVERY_MS) {
        latest = processes.ledger();
        lastAuditMs = now;
      }
      int killed = 0;
      for (Episode episode : plan) {
        killed += (int) episode.kills.stream().filter(k -> k.killMs >= 0).count();
      }
      listener.onTick(
          new Tick(
              (now - startMs) / 1000.0,
              target,
              latest.produced().size(),
              latest.accounted(),
              latest.trainedCounts().size(),
              latest.dead().size(),
              killed,
              killsPlanned));
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
    Map<String, Integer> prompts = audit.prompts();
    ChaosSummary summary = summary(plan, last, prompts, complete, wallS);
    write(plan, last, prompts, summary);
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
   * The episodes: each of the kinds {@code killsPerKind} times alone, and the overlaps (the named
   * pairs, or seeded pairs of two different kinds), in a seeded order; the i-th of n episodes at a
   * seeded point of the i-th n-th of 5%..75% of the rollouts produced. Each kill is down for 1 to 5
   * s; the second kill of an overlap follows the first after 0 to 3 s (0: at once).
   */
  private List<Episode> plan() {
    Random random = new Random(settings.seed());
    List<List<ProcessKind>> episodes = new ArrayList<>();
    for (int k = 0; k < settings.killsPerKind(); k++) {
      settings.kinds().forEach(kind -> episodes.add(List.of(kind)));
    }
    if (!settings.overlapPairs().isEmpty()) {
      episodes.addAll(settings.overlapPairs());
    } else {
      List<ProcessKind> kinds = new ArrayList<>(new LinkedHashSet<>(settings.kinds()));
      for (int o = 0; o < settings.overlaps(); o++) {
        List<ProcessKind> pool = new ArrayList<>(kinds);
        ProcessKind first = pool.remove(random.nextInt(pool.size()));
        ProcessKind second = pool.get(random.nextInt(pool.size()));
        episodes.add(List.of(first, second));
      }
    }
    Collections.shuffle(episodes, random);
    List<Episode> plan = new ArrayList<>();
    int n = episodes.size();
    for (int i = 0; i < n; i++) {
      double fraction = 0.05 + 0.7 * (i + random.nextDouble()) / n;
      List<Kill> kills = new ArrayList<>();
      for (int j = 0; j < episodes.get(i).size(); j++) {
        long offsetMs = j == 0 ? 0 : random.nextInt(3_001);
        kills.add(new Kill(episodes.get(i).get(j), offsetMs, 1_000 + random.nextInt(4_000)));
      }
      plan.add(new Episode(i + 1, fraction, kills));
    }
    return plan;
  }

  private void kill(Kill kill, Episode episode, Listener listener) throws InterruptedException {
    kill.versionAtKill = processes.newestVersion();
    kill.killMs = System.currentTimeMillis();
    switch (kill.kind) {
      case BROKER -> processes.killBroker();
      case TASKMANAGER -> processes.killTaskManager();
      default -> processes.kill(processName(kill.kind));
    }
    listener.onStatus(
        String.format(
            Locale.ROOT,
            "SIGKILL %s at %d rollouts produced%s; restarting in %.1f s",
            kill.kind.label(),
            audit.producedCount(),
            episode.overlap() ? " (overlap " + episode.label() + ")" : "",
            kill.downMs / 1000.0));
  }

  private void restart(Kill kill, Listener listener) {
    switch (kill.kind) {
      case BROKER -> processes.restartBroker();
      case TASKMANAGER -> processes.restartTaskManager();
      default -> processes.start(processName(kill.kind));
    }
    kill.restartMs = System.currentTimeMillis();
    listener.onStatus("restarted " + kill.kind.label() + " (same command, same state)");
  }

  /** The {@link LoopProcesses} name of a child JVM's kind. */
  private static String processName(ProcessKind kind) {
    return switch (kind) {
      case PIPELINE -> LoopProcesses.PIPELINE;
      case TRAINER -> LoopProcesses.TRAINER;
      case WORKER -> "worker";
      case FEEDER -> LoopProcesses.FEEDER;
      default -> throw new IllegalArgumentException(kind + " is not a child JVM of the loop");
    };
  }

  /**
   * Restarts a process that died without a planned kill (not one down in {@code current}). On a
   * Flink cluster the credit job's process only submits the job and ends: only a failed submission
   * is restarted; the job itself is Flink's to restart.
   */
  private void restartUnplanned(Episode current) {
    for (ProcessKind kind :
        List.of(
            ProcessKind.TRAINER, ProcessKind.PIPELINE, ProcessKind.WORKER, ProcessKind.FEEDER)) {
      boolean plannedDown =
          current != null && current.kills.stream().anyMatch(k -> k.kind == kind && k.down());
      ChildJvm child = processes.child(processName(kind));
      if (plannedDown || child == null || child.isAlive()) {
        continue;
      }
      boolean mayEnd =
          kind == ProcessKind.FEEDER
              || (kind == ProcessKind.PIPELINE && processes.onFlinkCluster());
      if (mayEnd && child.exitValue() == 0) {
        continue;
      }
      LOG.warn(
          "{} exited by itself with {}; restarting it. Last lines:\n{}",
          kind.label(),
          child.exitValue(),
          String.join("\n", child.logTail(20)));
      unplannedRestarts.merge(kind.label(), 1, Integer::sum);
      processes.start(processName(kind));
    }
    boolean taskManagerPlannedDown =
        current != null
            && current.kills.stream().anyMatch(k -> k.kind == ProcessKind.TASKMANAGER && k.down());
    if (processes.onFlinkCluster() && !taskManagerPlannedDown && !processes.taskManagerAlive()) {
      LOG.warn("the Flink TaskManager exited by itself; restarting it");
      unplannedRestarts.merge(ProcessKind.TASKMANAGER.label(), 1, Integer::sum);
      processes.restartTaskManager();
    }
  }

  /** When the killed process's work progressed after its restart, or -1. */
  private long progressAfter(Kill kill) {
    return switch (kill.kind) {
      case PIPELINE, TASKMANAGER ->
          audit.firstArrivalAfter(Topics.CREDITED_ROLLOUTS, kill.restartMs);
      case WORKER -> audit.firstArrivalAfter(Topics.ROLLOUTS, kill.restartMs);
      case FEEDER -> {
        long prompt = audit.firstArrivalAfter(Topics.PROMPTS, kill.restartMs);
        ChildJvm feeder = processes.child(LoopProcesses.FEEDER);
        // A feeder restarted after its last prompt has nothing to send: done is its progress.
        boolean done = feeder != null && !feeder.isAlive() && feeder.exitValue() == 0;
        yield prompt >= 0 ? prompt : done ? System.currentTimeMillis() : -1;
      }
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
      List<Episode> plan,
      RolloutLedger ledger,
      Map<String, Integer> prompts,
      boolean complete,
      double wallS) {
    Map<String, Integer> kills = new LinkedHashMap<>();
    Map<String, Double> recovery = new LinkedHashMap<>();
    Map<String, Double> recoveryInOverlaps = new LinkedHashMap<>();
    Map<String, Integer> unrecovered = new TreeMap<>();
    List<ProcessKind> kinds = new ArrayList<>(settings.kinds());
    plan.forEach(e -> e.kills.forEach(k -> kinds.add(k.kind)));
    for (ProcessKind kind : new LinkedHashSet<>(kinds)) {
      kills.put(kind.label(), 0);
      recovery.put(kind.label(), null);
    }
    List<String> overlaps = new ArrayList<>();
    for (Episode episode : plan) {
      if (episode.overlap() && episode.kills.stream().anyMatch(k -> k.killMs >= 0)) {
        overlaps.add(episode.label());
      }
      for (Kill kill : episode.kills) {
        if (kill.killMs < 0) {
          continue;
        }
        kills.merge(kill.kind.label(), 1, Integer::sum);
        if (kill.recoveredMs < 0) {
          unrecovered.merge(kill.kind.label(), 1, Integer::sum);
        }
        if (kill.recoveredMs >= 0) {
          double seconds = (kill.recoveredMs - kill.killMs) / 1000.0;
          recovery.merge(kill.kind.label(), seconds, Math::max);
          if (episode.overlap()) {
            recoveryInOverlaps.merge(kill.kind.label(), seconds, Math::max);
          }
        }
      }
    }
    RolloutLedger.Outcomes outcomes = ledger.outcomes();
    int promptsDoubled = (int) prompts.values().stream().filter(count -> count > 1).count();
    return new ChaosSummary(
        settings.prompts() * settings.groupSize(),
        settings.seed(),
        settings.onFlinkCluster() ? "cluster" : "embedded",
        kills,
        overlaps,
        new TreeMap<>(unplannedRestarts),
        settings.prompts(),
        prompts.size(),
        promptsDoubled,
        Math.max(0, settings.prompts() - prompts.size()),
        outcomes.produced(),
        ledger.credited().size(),
        ledger.trainedCounts().size(),
        outcomes.unaccounted(),
        ledger.trainedTwice(),
        outcomes.stale(),
        outcomes.deadLetters(),
        outcomes.deadLettersByReason(),
        recovery,
        recoveryInOverlaps,
        unrecovered,
        complete,
        wallS);
  }

  private void write(
      List<Episode> plan, RolloutLedger audit, Map<String, Integer> prompts, ChaosSummary summary)
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
    List<String> promptLines = new ArrayList<>();
    prompts.forEach((prompt, records) -> promptLines.add(prompt + "\t" + records));
    writeLines(runDir.resolve("prompts.tsv"), promptLines);
    List<String> kills = new ArrayList<>();
    kills.add("episode\tkind\tat_fraction\toffset_ms\tkill_ms\trestart_ms\trecovered_ms");
    for (Episode episode : plan) {
      for (Kill kill : episode.kills) {
        kills.add(
            String.format(
                Locale.ROOT,
                "%d\t%s\t%.3f\t%d\t%d\t%d\t%d",
                episode.number,
                kill.kind.label(),
                episode.atFraction,
                kill.offsetMs,
                kill.killMs,
                kill.restartMs,
                kill.recoveredMs));
      }
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
    config.put("flink", settings.onFlinkCluster() ? "cluster" : "embedded");
    config.put("kinds", settings.kinds().stream().map(ProcessKind::label).toList());
    config.put("kills_per_kind", settings.killsPerKind());
    config.put("overlaps", settings.overlaps());
    config.put(
        "overlap_pairs",
        settings.overlapPairs().stream()
            .map(pair -> pair.stream().map(ProcessKind::label).collect(Collectors.joining("+")))
            .toList());
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
