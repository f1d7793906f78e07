package dev.rredcot.infra.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.demo.ChildJvm;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.loop.TopicAudit;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flood benchmark (issue 21, "Bounded state"): the credit job ({@code rredcot pipeline}, GRPO
 * credit, on the embedded Flink mini-cluster with checkpoints, as its own JVM) against a flood of
 * distinct single-member groups ({@link FloodRollouts}) with complete good groups interleaved, once
 * per cap on open groups ({@code --max-open-groups}), each arm on a fresh local broker (KRaft, its
 * own JVM).
 *
 * <p>Every {@code sampleEvery} it reads the job's JVM heap after a full collection ({@link
 * JvmHeapProbe}), its resident size and the newest completed Flink checkpoint's bytes ({@link
 * FlinkCheckpointBytes}). Phases: {@code start} (job start, then four good groups credited: the job
 * reads), {@code baseline} (two samples), {@code flood} (the flood and the good groups between,
 * sent as fast as the producer goes, until every id of them is credited or dead-lettered), {@code
 * drain} (two group timeouts, so the cap forgets the flood's groups), {@code after} (more good
 * groups, until accounted; with none, neither this phase nor the drain runs). Every id is then
 * counted from the topics ({@link TopicAudit}, {@link FloodAccounting}).
 *
 * <p>Writes {@code DIR/summary.json}, and per arm {@code DIR/cap-<n>/samples.tsv} and the
 * processes' logs.
 */
public final class FloodBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(FloodBenchmark.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  public static final String SUMMARY_FILE = "summary.json";
  static final String CREDIT = "grpo";
  static final int WARM_UP_GROUPS = 4;
  static final long FLOOD_SEED = 7;
  static final long WARM_UP_SEED = 1;
  static final long DURING_SEED = 2;
  static final long AFTER_SEED = 3;
  private static final Duration BROKER_START_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration JOB_START_TIMEOUT = Duration.ofMinutes(10);
  private static final long POLL_MS = 1_000;
  private static final long ACCOUNT_EVERY_MS = 5_000;

  private FloodBenchmark() {}

  /** What the benchmark reports while it runs. */
  public interface Listener {
    /** A stage of an arm, as one line. */
    void onStatus(String line);

    /** An arm's progress, about every second. */
    void onTick(Tick tick);
  }

  /**
   * An arm's progress.
   *
   * @param arm the arm's name ({@code cap-<n>})
   * @param phase the current phase
   * @param accounted ids of the phase credited or dead-lettered (by count, not yet by id)
   * @param expected ids the phase waits for
   * @param heapMb the last heap sample after a full collection, MiB
   * @param checkpointMb the newest completed checkpoint at the last sample, MiB
   */
  public record Tick(
      String arm,
      String phase,
      long accounted,
      long expected,
      double heapMb,
      double checkpointMb) {}

  /**
   * One reading of the job's process.
   *
   * @param elapsedS seconds since the arm started
   * @param phase the phase it was taken in
   * @param heapUsedAfterGcBytes heap in use after a full collection
   * @param gcMs how long that collection (and the read) took
   * @param residentBytes the process's resident set size
   * @param checkpointNumber the newest completed checkpoint's number, -1 when none
   * @param checkpointBytes its bytes on disk
   * @param checkpointDirBytes bytes of every file under the job's checkpoint storage path
   */
  public record Sample(
      @JsonProperty("elapsed_s") double elapsedS,
      @JsonProperty("phase") String phase,
      @JsonProperty("heap_used_after_gc_bytes") long heapUsedAfterGcBytes,
      @JsonProperty("gc_ms") long gcMs,
      @JsonProperty("resident_bytes") long residentBytes,
      @JsonProperty("checkpoint_number") long checkpointNumber,
      @JsonProperty("checkpoint_bytes") long checkpointBytes,
      @JsonProperty("checkpoint_dir_bytes") long checkpointDirBytes) {}

  /**
   * One arm's figures, as written to {@code summary.json}. Heap figures are after a full
   * collection; "peak" is the largest sample from the flood's start to the arm's end.
   */
  public record ArmResult(
      @JsonProperty("max_open_groups") long maxOpenGroups,
      @JsonProperty("job_max_heap_mb") double jobMaxHeapMb,
      @JsonProperty("heap_baseline_mb") double heapBaselineMb,
      @JsonProperty("heap_peak_mb") double heapPeakMb,
      @JsonProperty("heap_peak_above_baseline_mb") double heapPeakAboveBaselineMb,
      @JsonProperty("heap_peak_phase") String heapPeakPhase,
      @JsonProperty("heap_end_mb") double heapEndMb,
      @JsonProperty("resident_peak_mb") double residentPeakMb,
      @JsonProperty("checkpoint_baseline_mb") double checkpointBaselineMb,
      @JsonProperty("checkpoint_peak_mb") double checkpointPeakMb,
      @JsonProperty("checkpoint_end_mb") double checkpointEndMb,
      @JsonProperty("checkpoint_dir_peak_mb") double checkpointDirPeakMb,
      @JsonProperty("gc_ms_max") long gcMsMax,
      @JsonProperty("samples") int samples,
      @JsonProperty("flood") FloodAccounting.Outcomes flood,
      @JsonProperty("good_groups_during") FloodAccounting.GroupOutcomes goodDuring,
      @JsonProperty("good_groups_after") FloodAccounting.GroupOutcomes goodAfter,
      @JsonProperty("every_rollout_accounted") boolean everyRolloutAccounted,
      @JsonProperty("flood_send_s") double floodSendS,
      @JsonProperty("flood_accounted_s") double floodAccountedS,
      @JsonProperty("job_start_s") double jobStartS,
      @JsonProperty("wall_s") double wallS,
      @JsonProperty("load_average_start") double loadAverageStart,
      @JsonProperty("load_average_end") double loadAverageEnd) {}

  /** The run's figures, as written to {@code summary.json}. */
  public record Summary(
      @JsonProperty("credit") String credit,
      @JsonProperty("flood_groups") int floodGroups,
      @JsonProperty("group_size") int groupSize,
      @JsonProperty("good_groups_during") int goodGroupsDuring,
      @JsonProperty("good_groups_after") int goodGroupsAfter,
      @JsonProperty("group_timeout_ms") long groupTimeoutMs,
      @JsonProperty("checkpoint_interval_ms") long checkpointIntervalMs,
      @JsonProperty("sample_every_s") double sampleEveryS,
      @JsonProperty("job_args") List<String> jobArgs,
      @JsonProperty("arms") List<ArmResult> arms,
      @JsonProperty("heap_growth_smallest_over_largest_cap") Double heapGrowthRatio,
      @JsonProperty("checkpoint_peak_smallest_over_largest_cap") Double checkpointPeakRatio,
      @JsonProperty("note") String note,
      @JsonProperty("wall_s") double wallS) {}

  /**
   * Runs every arm in turn and writes {@code summary.json}.
   *
   * @throws IllegalStateException when the job or the broker fails, or the flood is not accounted
   *     within the settle timeout
   */
  public static Summary run(FloodBenchmarkSettings settings, Listener listener)
      throws IOException, InterruptedException {
    long startMs = System.currentTimeMillis();
    Files.createDirectories(settings.outputDir());
    List<ArmResult> arms = new ArrayList<>();
    for (long cap : settings.caps()) {
      listener.onStatus(
          String.format(
              Locale.ROOT,
              "arm %d of %d: --max-open-groups %d",
              arms.size() + 1,
              settings.caps().size(),
              cap));
      ArmResult arm = new Arm(settings, cap, listener).run();
      arms.add(arm);
      listener.onStatus(
          String.format(
              Locale.ROOT,
              "arm cap-%d: heap after GC %.0f MiB at baseline, peak %.0f MiB (+%.0f), end %.0f"
                  + " MiB; newest checkpoint peak %.1f MiB; flood %d credited, %d"
                  + " too-many-open-groups, %d unaccounted; good groups credited %d/%d during,"
                  + " %d/%d after",
              cap,
              arm.heapBaselineMb(),
              arm.heapPeakMb(),
              arm.heapPeakAboveBaselineMb(),
              arm.heapEndMb(),
              arm.checkpointPeakMb(),
              arm.flood().credited(),
              arm.flood().tooManyOpenGroups(),
              arm.flood().unaccounted(),
              arm.goodDuring().credited(),
              arm.goodDuring().groups(),
              arm.goodAfter().credited(),
              arm.goodAfter().groups()));
    }
    ArmResult smallest =
        Collections.min(arms, (a, b) -> Long.compare(a.maxOpenGroups(), b.maxOpenGroups()));
    ArmResult largest =
        Collections.max(arms, (a, b) -> Long.compare(a.maxOpenGroups(), b.maxOpenGroups()));
    Double heapRatio = null;
    Double checkpointRatio = null;
    if (arms.size() > 1 && largest.heapPeakAboveBaselineMb() > 0) {
      heapRatio = smallest.heapPeakAboveBaselineMb() / largest.heapPeakAboveBaselineMb();
    }
    if (arms.size() > 1 && largest.checkpointPeakMb() > 0) {
      checkpointRatio = smallest.checkpointPeakMb() / largest.checkpointPeakMb();
    }
    Summary summary =
        new Summary(
            CREDIT,
            settings.floodGroups(),
            settings.groupSize(),
            settings.goodGroupsDuring(),
            settings.goodGroupsAfter(),
            settings.groupTimeoutMs(),
            settings.checkpointIntervalMs(),
            settings.sampleEvery().toMillis() / 1000.0,
            settings.jobArgs(),
            arms,
            heapRatio,
            checkpointRatio,
            note(arms, smallest, largest, heapRatio, checkpointRatio),
            (System.currentTimeMillis() - startMs) / 1000.0);
    JSON.writeValue(settings.outputDir().resolve(SUMMARY_FILE).toFile(), summary);
    return summary;
  }

  private static String note(
      List<ArmResult> arms,
      ArmResult smallest,
      ArmResult largest,
      Double heapRatio,
      Double checkpointRatio) {
    List<String> parts = new ArrayList<>();
    if (heapRatio != null) {
      parts.add(
          String.format(
              Locale.ROOT,
              "heap growth after GC under the flood: %.0f MiB with --max-open-groups %d, %.0f MiB"
                  + " with %d (%.2fx)",
              smallest.heapPeakAboveBaselineMb(),
              smallest.maxOpenGroups(),
              largest.heapPeakAboveBaselineMb(),
              largest.maxOpenGroups(),
              heapRatio));
    }
    if (checkpointRatio != null) {
      parts.add(
          String.format(
              Locale.ROOT,
              "newest checkpoint at its peak: %.1f MiB against %.1f MiB (%.2fx)",
              smallest.checkpointPeakMb(),
              largest.checkpointPeakMb(),
              checkpointRatio));
    }
    for (ArmResult arm : arms) {
      if (!arm.everyRolloutAccounted()) {
        parts.add(
            "cap "
                + arm.maxOpenGroups()
                + ": not every rollout ended credited or dead-lettered (see flood and good groups)");
      }
      if (arm.goodAfter().credited() < arm.goodAfter().groups()) {
        parts.add(
            String.format(
                Locale.ROOT,
                "cap %d: only %d of %d good groups sent after the flood were credited",
                arm.maxOpenGroups(),
                arm.goodAfter().credited(),
                arm.goodAfter().groups()));
      }
    }
    return String.join("; ", parts);
  }

  /** One arm: its broker, its job, its samples. */
  private static final class Arm {
    private final FloodBenchmarkSettings settings;
    private final long cap;
    private final Listener listener;
    private final String name;
    private final Path dir;
    private final Path logs;
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private volatile String phase = "start";
    private final long startMs = System.currentTimeMillis();

    Arm(FloodBenchmarkSettings settings, long cap, Listener listener) {
      this.settings = settings;
      this.cap = cap;
      this.listener = listener;
      this.name = "cap-" + cap;
      this.dir = settings.outputDir().resolve(name).toAbsolutePath();
      this.logs = dir.resolve("logs");
    }

    ArmResult run() throws IOException, InterruptedException {
      if (Files.exists(dir)) {
        throw new IllegalStateException(
            dir + " exists: give --out a fresh directory, so every arm starts from fresh state");
      }
      Files.createDirectories(logs);
      double loadStart = loadAverage();
      LocalKafkaBroker broker = new LocalKafkaBroker(RredcotHome.at(dir.resolve("stack")));
      ChildJvm job = null;
      TopicAudit audit = null;
      JvmHeapProbe probe = null;
      ScheduledExecutorService sampler = null;
      Thread cleanup = null;
      try {
        listener.onStatus(name + ": starting a Kafka broker (its own JVM)");
        String bootstrap =
            broker
                .up(
                    LocalBrokerSettings.builder()
                        .optPort(freePort())
                        .optControllerPort(freePort())
                        .optStartTimeout(BROKER_START_TIMEOUT)
                        .build())
                .broker()
                .bootstrapServers();
        audit = new TopicAudit(bootstrap);
        audit.start();
        List<String> args = jobArguments(bootstrap);
        listener.onStatus(
            name + ": starting the credit job (its own JVM): rredcot " + String.join(" ", args));
        job =
            ChildJvm.start(
                "pipeline",
                ChildJvm.CLI_MAIN_CLASS,
                args,
                logs.resolve("pipeline.log"),
                Map.of(RredcotHome.ENVIRONMENT_VARIABLE, dir.resolve("home").toString()));
        ChildJvm started = job;
        TopicAudit startedAudit = audit;
        cleanup =
            new Thread(
                () -> {
                  try {
                    started.close();
                    startedAudit.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  broker.down(Duration.ofSeconds(20));
                },
                "rredcot-bench-flood-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        probe = JvmHeapProbe.attach(job.pid(), JOB_START_TIMEOUT);
        JvmHeapProbe heap = probe;
        Path storage = dir.resolve("flink-checkpoints");
        sampler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "flood-sampler"));
        sampler.scheduleWithFixedDelay(
            () -> sample(heap, storage),
            0,
            settings.sampleEvery().toMillis(),
            TimeUnit.MILLISECONDS);
        return measure(bootstrap, job, audit, heap, loadStart);
      } finally {
        if (sampler != null) {
          sampler.shutdownNow();
          sampler.awaitTermination(30, TimeUnit.SECONDS);
        }
        if (probe != null) {
          probe.close();
        }
        if (job != null) {
          job.close();
        }
        if (audit != null) {
          audit.close();
        }
        try {
          broker.down(Duration.ofSeconds(20));
        } catch (RuntimeException e) {
          LOG.warn("stopping the broker failed: {}", e.toString());
        }
        if (cleanup != null) {
          try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
          } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the hook stops what runs.
          }
        }
        writeSamples();
      }
    }

    private List<String> jobArguments(String bootstrap) {
      List<String> args = new ArrayList<>();
      args.add("pipeline");
      args.add("--bootstrap");
      args.add(bootstrap);
      args.add("--runner=FlinkRunner");
      args.add("--flink-master=[local]");
      args.add("--parallelism=1");
      args.add("--credit=" + CREDIT);
      args.add("--store=" + dir.resolve("checkpoints"));
      args.add("--state-backend-storage-path=" + dir.resolve("flink-checkpoints").toUri());
      args.add("--checkpointing-interval=" + settings.checkpointIntervalMs());
      args.add("--group-timeout-ms=" + settings.groupTimeoutMs());
      args.add("--max-open-groups=" + cap);
      args.addAll(settings.jobArgs());
      return args;
    }

    private ArmResult measure(
        String bootstrap, ChildJvm job, TopicAudit audit, JvmHeapProbe probe, double loadStart)
        throws InterruptedException {
      double jobMaxHeapMb = mb(probe.maxHeapBytes());
      List<List<String>> warmUp = new ArrayList<>();
      List<List<String>> during = new ArrayList<>();
      List<List<String>> after = new ArrayList<>();
      List<String> floodIds = new ArrayList<>(settings.floodGroups());
      FloodRollouts flood =
          new FloodRollouts(settings.floodGroups(), settings.groupSize(), FLOOD_SEED);
      double floodSendS;
      double floodAccountedS;
      double jobStartS;
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
        Sender send = new Sender(producer);
        listener.onStatus(
            name + ": waiting until the job credits " + WARM_UP_GROUPS + " good groups");
        SyntheticRollouts warmUpSource = good(WARM_UP_SEED);
        Mark beforeWarmUp = Mark.of(audit);
        for (int g = 0; g < WARM_UP_GROUPS; g++) {
          warmUp.add(send.group(warmUpSource.group(g)));
        }
        send.flush();
        awaitAccounted(job, audit, beforeWarmUp, warmUp, List.of(), JOB_START_TIMEOUT, "start");
        jobStartS = (System.currentTimeMillis() - startMs) / 1000.0;

        phase = "baseline";
        listener.onStatus(name + ": job up after " + Math.round(jobStartS) + " s; baseline");
        int before = samples.size();
        while (samples.size() < before + 2) {
          failIfExited(job);
          Thread.sleep(200);
        }

        phase = "flood";
        listener.onStatus(
            String.format(
                Locale.ROOT,
                "%s: sending %d flood rollouts (distinct groups of %d) with %d good groups"
                    + " between them",
                name,
                settings.floodGroups(),
                settings.groupSize(),
                settings.goodGroupsDuring()));
        Mark beforeFlood = Mark.of(audit);
        long floodStartMs = System.currentTimeMillis();
        SyntheticRollouts duringSource = good(DURING_SEED);
        int[] slots =
            FloodRollouts.goodGroupSlots(settings.floodGroups(), settings.goodGroupsDuring());
        int nextGood = 0;
        for (int i = 0; i < settings.floodGroups(); i++) {
          while (nextGood < slots.length && slots[nextGood] == i) {
            during.add(send.group(duringSource.group(nextGood)));
            nextGood++;
          }
          Rollout rollout = flood.floodRollout(i);
          send.one(rollout);
          floodIds.add(rollout.getRolloutId());
        }
        while (nextGood < slots.length) {
          during.add(send.group(duringSource.group(nextGood)));
          nextGood++;
        }
        send.flush();
        floodSendS = (System.currentTimeMillis() - floodStartMs) / 1000.0;
        listener.onStatus(
            String.format(
                Locale.ROOT,
                "%s: flood sent in %.1f s; waiting until every id of it is credited or"
                    + " dead-lettered",
                name,
                floodSendS));
        awaitAccounted(
            job, audit, beforeFlood, during, floodIds, settings.settleTimeout(), "flood");
        floodAccountedS = (System.currentTimeMillis() - floodStartMs) / 1000.0;

        if (settings.goodGroupsAfter() > 0) {
          phase = "drain";
          long drainMs = 2 * settings.groupTimeoutMs();
          listener.onStatus(
              String.format(
                  Locale.ROOT,
                  "%s: flood accounted after %.0f s; %d s for the cap to forget its groups",
                  name,
                  floodAccountedS,
                  drainMs / 1000));
          long drainEnd = System.currentTimeMillis() + drainMs;
          while (System.currentTimeMillis() < drainEnd) {
            failIfExited(job);
            tick(audit, 0, 0);
            Thread.sleep(POLL_MS);
          }

          phase = "after";
          listener.onStatus(name + ": sending " + settings.goodGroupsAfter() + " good groups");
          SyntheticRollouts afterSource = good(AFTER_SEED);
          Mark beforeAfter = Mark.of(audit);
          for (int g = 0; g < settings.goodGroupsAfter(); g++) {
            after.add(send.group(afterSource.group(g)));
          }
          send.flush();
          awaitAccounted(
              job, audit, beforeAfter, after, List.of(), settings.settleTimeout(), "after");
        }
        phase = "end";
        int before2 = samples.size();
        while (samples.size() < before2 + 1) {
          failIfExited(job);
          Thread.sleep(200);
        }
      }
      Set<String> credited = audit.credited();
      Map<String, String> dead = audit.dead();
      FloodAccounting.Outcomes floodOutcomes = FloodAccounting.outcomes(floodIds, credited, dead);
      FloodAccounting.GroupOutcomes duringOutcomes =
          FloodAccounting.groupOutcomes(during, credited, dead);
      FloodAccounting.GroupOutcomes afterOutcomes =
          FloodAccounting.groupOutcomes(after, credited, dead);
      return result(
          jobMaxHeapMb,
          floodOutcomes,
          duringOutcomes,
          afterOutcomes,
          floodSendS,
          floodAccountedS,
          jobStartS,
          loadStart);
    }

    private ArmResult result(
        double jobMaxHeapMb,
        FloodAccounting.Outcomes flood,
        FloodAccounting.GroupOutcomes during,
        FloodAccounting.GroupOutcomes after,
        double floodSendS,
        double floodAccountedS,
        double jobStartS,
        double loadStart) {
      List<Sample> all;
      synchronized (samples) {
        all = new ArrayList<>(samples);
      }
      Sample baseline = null;
      Sample peak = null;
      Sample checkpointPeak = null;
      long dirPeak = 0;
      long residentPeak = 0;
      long gcMax = 0;
      for (Sample s : all) {
        gcMax = Math.max(gcMax, s.gcMs());
        residentPeak = Math.max(residentPeak, s.residentBytes());
        dirPeak = Math.max(dirPeak, s.checkpointDirBytes());
        if (s.phase().equals("baseline")) {
          baseline = s;
        } else if (!s.phase().equals("start")) {
          if (peak == null || s.heapUsedAfterGcBytes() > peak.heapUsedAfterGcBytes()) {
            peak = s;
          }
          if (checkpointPeak == null || s.checkpointBytes() > checkpointPeak.checkpointBytes()) {
            checkpointPeak = s;
          }
        }
      }
      Sample end = all.get(all.size() - 1);
      double baselineMb = baseline == null ? 0 : mb(baseline.heapUsedAfterGcBytes());
      double peakMb = peak == null ? 0 : mb(peak.heapUsedAfterGcBytes());
      boolean accounted =
          flood.allAccounted()
              && during.rollouts().allAccounted()
              && after.rollouts().allAccounted();
      return new ArmResult(
          cap,
          jobMaxHeapMb,
          baselineMb,
          peakMb,
          peakMb - baselineMb,
          peak == null ? "" : peak.phase(),
          mb(end.heapUsedAfterGcBytes()),
          mb(residentPeak),
          baseline == null ? 0 : mb(baseline.checkpointBytes()),
          checkpointPeak == null ? 0 : mb(checkpointPeak.checkpointBytes()),
          mb(end.checkpointBytes()),
          mb(dirPeak),
          gcMax,
          all.size(),
          flood,
          during,
          after,
          accounted,
          floodSendS,
          floodAccountedS,
          jobStartS,
          (System.currentTimeMillis() - startMs) / 1000.0,
          loadStart,
          loadAverage());
    }

    /**
     * Waits until every id of {@code groups} and {@code ids}, sent after {@code before}, is
     * credited or dead-lettered.
     */
    private void awaitAccounted(
        ChildJvm job,
        TopicAudit audit,
        Mark before,
        List<List<String>> groups,
        List<String> ids,
        Duration timeout,
        String what)
        throws InterruptedException {
      List<String> all = new ArrayList<>(ids);
      groups.forEach(all::addAll);
      long deadline = System.currentTimeMillis() + timeout.toMillis();
      long nextCheckMs = 0;
      while (true) {
        failIfExited(job);
        long now = System.currentTimeMillis();
        long accountedByCount =
            audit.creditedCount() - before.credited() + audit.deadCount() - before.dead();
        tick(audit, accountedByCount, all.size());
        if (now >= nextCheckMs && accountedByCount >= all.size()) {
          nextCheckMs = now + ACCOUNT_EVERY_MS;
          if (FloodAccounting.outcomes(all, audit.credited(), audit.dead()).allAccounted()) {
            return;
          }
        }
        if (now > deadline) {
          FloodAccounting.Outcomes outcomes =
              FloodAccounting.outcomes(all, audit.credited(), audit.dead());
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "%s: %d of %d ids of phase %s neither credited nor dead-lettered after %d s;"
                      + " the job's log: %s",
                  name,
                  outcomes.unaccounted(),
                  all.size(),
                  what,
                  timeout.toSeconds(),
                  logs.resolve("pipeline.log")));
        }
        Thread.sleep(POLL_MS);
      }
    }

    private void tick(TopicAudit audit, long accounted, long expected) {
      Sample last = samples.isEmpty() ? null : samples.get(samples.size() - 1);
      listener.onTick(
          new Tick(
              name,
              phase,
              accounted,
              expected,
              last == null ? 0 : mb(last.heapUsedAfterGcBytes()),
              last == null ? 0 : mb(last.checkpointBytes())));
    }

    private void sample(JvmHeapProbe probe, Path storage) {
      try {
        String at = phase;
        long t0 = System.currentTimeMillis();
        long heap = probe.usedAfterGcBytes();
        long gcMs = System.currentTimeMillis() - t0;
        long resident = probe.residentBytes();
        var newest = FlinkCheckpointBytes.newest(storage);
        samples.add(
            new Sample(
                (System.currentTimeMillis() - startMs) / 1000.0,
                at,
                heap,
                gcMs,
                resident,
                newest.map(FlinkCheckpointBytes.Checkpoint::number).orElse(-1L),
                newest.map(FlinkCheckpointBytes.Checkpoint::bytes).orElse(0L),
                FlinkCheckpointBytes.bytes(storage)));
      } catch (RuntimeException e) {
        // The job is stopping, or the checkpoint directory changed under the walk: next time.
        LOG.warn("{}: a sample of the job failed: {}", name, e.toString());
      }
    }

    private void writeSamples() throws IOException {
      Path file = dir.resolve("samples.tsv");
      try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        out.write(
            "elapsed_s\tphase\theap_used_after_gc_mb\tgc_ms\tresident_mb\tcheckpoint\t"
                + "checkpoint_mb\tcheckpoint_dir_mb");
        out.newLine();
        synchronized (samples) {
          for (Sample s : samples) {
            out.write(
                String.format(
                    Locale.ROOT,
                    "%.1f\t%s\t%.1f\t%d\t%.1f\t%d\t%.2f\t%.2f",
                    s.elapsedS(),
                    s.phase(),
                    mb(s.heapUsedAfterGcBytes()),
                    s.gcMs(),
                    mb(s.residentBytes()),
                    s.checkpointNumber(),
                    mb(s.checkpointBytes()),
                    mb(s.checkpointDirBytes())));
            out.newLine();
          }
        }
      }
      LOG.info("wrote {}", file);
    }

    private SyntheticRollouts good(long seed) {
      return SyntheticRollouts.builder().optSeed(seed).optGroupSize(settings.groupSize()).build();
    }

    private void failIfExited(ChildJvm job) {
      if (!job.isAlive()) {
        throw new IllegalStateException(
            "the credit job exited with "
                + job.exitValue()
                + " during the benchmark; its log: "
                + logs.resolve("pipeline.log")
                + "; last lines:\n"
                + String.join("\n", job.logTail(20)));
      }
    }
  }

  /** The audit's counts of distinct credited and dead-lettered ids before a phase sends. */
  private record Mark(int credited, int dead) {
    static Mark of(TopicAudit audit) {
      return new Mark(audit.creditedCount(), audit.deadCount());
    }
  }

  /** Sends rollouts keyed by group id, as rollout workers do; fails on the first failed send. */
  private static final class Sender {
    private static final RecordCodec<Rollout> CODEC = RecordCodec.of(Rollout.class);
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    Sender(KafkaProducer<String, byte[]> producer) {
      this.producer = producer;
    }

    void one(Rollout rollout) {
      if (failure.get() != null) {
        throw new IllegalStateException("a send failed", failure.get());
      }
      producer.send(
          new ProducerRecord<>(Topics.ROLLOUTS, rollout.getGroupId(), CODEC.encode(rollout)),
          (metadata, error) -> {
            if (error != null) {
              failure.compareAndSet(null, error);
            }
          });
    }

    /** Sends every member of a group; returns their ids. */
    List<String> group(List<Rollout> members) {
      List<String> ids = new ArrayList<>(members.size());
      for (Rollout member : members) {
        one(member);
        ids.add(member.getRolloutId());
      }
      return ids;
    }

    void flush() {
      producer.flush();
      if (failure.get() != null) {
        throw new IllegalStateException("a send failed", failure.get());
      }
    }
  }

  private static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.setProperty(
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    props.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "rredcot-bench-flood");
    return props;
  }

  private static double mb(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
