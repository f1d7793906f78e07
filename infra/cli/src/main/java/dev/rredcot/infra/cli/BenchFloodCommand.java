package dev.rredcot.infra.cli;

import dev.rredcot.infra.bench.FloodBenchmark;
import dev.rredcot.infra.bench.FloodBenchmarkSettings;
import dev.rredcot.pipelines.BeamFlags;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code rredcot bench flood}: the credit job's heap and checkpoints under a flood of groups. */
@Command(
    name = "flood",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark bounded state: the credit job (grpo credit, embedded Flink with checkpoints, its"
          + " own JVM) on a local broker against --groups distinct single-member groups (each"
          + " declares --group-size members, so it stays open until the group timeout) with"
          + " complete good groups between them, once per --caps value of --max-open-groups."
          + " Samples the job's heap after a full collection and its newest Flink checkpoint's"
          + " size, and counts every rollout id: credited, too-many-open-groups or other dead"
          + " letter.",
      "Writes DIR/summary.json, DIR/cap-<n>/samples.tsv and the processes' logs under"
          + " DIR/cap-<n>. Further options go to the credit job, as for `rredcot pipeline`."
    })
final class BenchFloodCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, description = "Output directory (fresh).")
  Path out;

  @Option(
      names = "--groups",
      defaultValue = "200000",
      description = "Flood groups, one rollout each (default ${DEFAULT-VALUE}).")
  int groups;

  @Option(
      names = "--good-groups",
      defaultValue = "200",
      description = "Complete good groups spread through the flood (default ${DEFAULT-VALUE}).")
  int goodGroups;

  @Option(
      names = "--good-groups-after",
      defaultValue = "50",
      description =
          "Complete good groups sent once the flood is accounted and two group timeouts have"
              + " passed (default ${DEFAULT-VALUE}; 0 skips that wait).")
  int goodGroupsAfter;

  @Option(
      names = "--group-size",
      defaultValue = "8",
      description = "Group size every group declares (default ${DEFAULT-VALUE}).")
  int groupSize;

  @Option(
      names = "--caps",
      split = ",",
      defaultValue = "10000,1000000000",
      description =
          "--max-open-groups of the credit job, one arm each, in order (default"
              + " ${DEFAULT-VALUE}: the job's default, then effectively no cap).")
  List<Long> caps;

  @Option(
      names = "--group-timeout-ms",
      defaultValue = "60000",
      description = "The credit job's --group-timeout-ms (default ${DEFAULT-VALUE}, the job's).")
  long groupTimeoutMs;

  @Option(
      names = "--checkpoint-interval-ms",
      defaultValue = "10000",
      description = "The credit job's --checkpointing-interval (default ${DEFAULT-VALUE}).")
  long checkpointIntervalMs;

  @Option(
      names = "--sample-every",
      defaultValue = "10",
      description =
          "Seconds between readings of the job's heap (each after a full collection) and"
              + " checkpoints (default ${DEFAULT-VALUE}).")
  double sampleEveryS;

  @Option(
      names = "--settle-timeout",
      defaultValue = "1800",
      description =
          "Seconds the flood may take from its first record until every id is credited or"
              + " dead-lettered before the arm fails (default ${DEFAULT-VALUE}).")
  double settleTimeoutS;

  /** Options of the credit job ({@code --emitted-marker-ttl-ms=600000}, as for pipeline). */
  @Unmatched List<String> jobArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter console = spec.commandLine().getOut();
    FloodBenchmarkSettings settings;
    try {
      BeamFlags.toBeamArgs(jobArgs);
      settings =
          new FloodBenchmarkSettings(
              out,
              groups,
              goodGroups,
              goodGroupsAfter,
              groupSize,
              caps,
              groupTimeoutMs,
              checkpointIntervalMs,
              Duration.ofMillis(Math.round(sampleEveryS * 1000)),
              Duration.ofMillis(Math.round(settleTimeoutS * 1000)),
              jobArgs);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    RredcotCli.logToFiles(spec, out.resolve("logs"), "bench-flood");
    console.printf(
        Locale.ROOT,
        "bench flood: %,d flood groups of %d, %d good groups during and %d after, caps %s;"
            + " output %s%n",
        groups,
        groupSize,
        goodGroups,
        goodGroupsAfter,
        caps,
        out);
    console.flush();
    FloodBenchmark.Summary summary;
    try (Progress progress = new Progress(console)) {
      summary = FloodBenchmark.run(settings, progress);
    }
    printTable(console, summary);
    console.printf("bench flood: %s%n", out.resolve(FloodBenchmark.SUMMARY_FILE));
    console.flush();
    return 0;
  }

  /** One row per figure, one column per arm; then the note. */
  static void printTable(PrintWriter out, FloodBenchmark.Summary summary) {
    List<FloodBenchmark.ArmResult> arms = summary.arms();
    ArmTable<FloodBenchmark.ArmResult> table = new ArmTable<>(out, arms, 34, 16);
    table.row("", arm -> "cap " + arm.maxOpenGroups());
    table.row("job max heap MiB", a -> mib(a.jobMaxHeapMb()));
    table.row("heap after GC: baseline MiB", a -> mib(a.heapBaselineMb()));
    table.row("heap after GC: peak MiB", a -> mib(a.heapPeakMb()) + " " + a.heapPeakPhase());
    table.row("heap after GC: peak - baseline", a -> mib(a.heapPeakAboveBaselineMb()));
    table.row("heap after GC: end MiB", a -> mib(a.heapEndMb()));
    table.row("resident peak MiB", a -> mib(a.residentPeakMb()));
    table.row("checkpoint: baseline MiB", a -> mib(a.checkpointBaselineMb()));
    table.row("checkpoint: peak MiB", a -> mib(a.checkpointPeakMb()));
    table.row("checkpoint: end MiB", a -> mib(a.checkpointEndMb()));
    table.row("flood sent", a -> Integer.toString(a.flood().sent()));
    table.row("flood credited (timed out)", a -> Integer.toString(a.flood().credited()));
    table.row("flood too-many-open-groups", a -> Integer.toString(a.flood().tooManyOpenGroups()));
    table.row("flood other dead letters", a -> a.flood().deadOther().toString());
    table.row("flood unaccounted", a -> Integer.toString(a.flood().unaccounted()));
    table.row(
        "good groups during: credited",
        a -> a.goodDuring().credited() + "/" + a.goodDuring().groups());
    table.row("good groups during: refused", a -> Integer.toString(a.goodDuring().refused()));
    table.row(
        "good groups after: credited",
        a -> a.goodAfter().credited() + "/" + a.goodAfter().groups());
    table.row("every rollout accounted", a -> Boolean.toString(a.everyRolloutAccounted()));
    table.row("flood send s", a -> String.format(Locale.ROOT, "%.1f", a.floodSendS()));
    table.row("flood accounted s", a -> String.format(Locale.ROOT, "%.1f", a.floodAccountedS()));
    table.row("longest forced GC ms", a -> Long.toString(a.gcMsMax()));
    table.row(
        "load average start / end",
        a -> String.format(Locale.ROOT, "%.1f / %.1f", a.loadAverageStart(), a.loadAverageEnd()));
    out.println("  " + summary.note());
    out.flush();
  }

  private static String mib(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  /** The benchmark's console: a bar over the ids a phase waits for. */
  private static final class Progress implements FloodBenchmark.Listener, AutoCloseable {
    private final ConsoleProgress console;

    Progress(PrintWriter out) {
      this.console = new ConsoleProgress(out, "bench flood", Duration.ofSeconds(30));
    }

    @Override
    public void onStatus(String line) {
      console.status(line);
    }

    @Override
    public void onTick(FloodBenchmark.Tick tick) {
      String figures =
          String.format(
              Locale.ROOT,
              "heap after GC %.0f MiB | checkpoint %.1f MiB",
              tick.heapMb(),
              tick.checkpointMb());
      String summary =
          String.format(
              Locale.ROOT,
              "%s %s: %d/%d ids accounted | %s",
              tick.arm(),
              tick.phase(),
              tick.accounted(),
              tick.expected(),
              figures);
      if (tick.expected() == 0) {
        console.summaryOnly(summary);
      } else {
        console.tick(
            tick.arm() + " " + tick.phase(),
            tick.accounted(),
            tick.expected(),
            " ids",
            figures,
            summary);
      }
    }

    @Override
    public void close() {
      console.close();
    }
  }
}
