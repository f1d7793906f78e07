package dev.rredcot.infra.cli;

import dev.rredcot.infra.bench.LoopBenchmark;
import dev.rredcot.infra.bench.LoopBenchmarkSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rredcot bench loop}: the online loop as processes, once per credit preset, timed. */
@Command(
    name = "loop",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the whole online loop as processes on a local broker (trainer, credit job on"
          + " Flink with checkpoints, rollout worker(s), feeder), once per --credits preset with"
          + " the same prompts and fresh state: after a warm-up until the first trained batch,"
          + " --seconds of trained rollouts per second, stale share and the credit job's lag on"
          + " rollouts; and the ratio of trained rollouts per second, rredcot / grpo.",
      "Writes DIR/summary.json, DIR/<credit>/lag.tsv and the processes' logs under DIR/<credit>."
    })
final class BenchLoopCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, description = "Output directory (fresh).")
  Path out;

  @Option(
      names = "--seconds",
      defaultValue = "180",
      description = "Measured window of each arm (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(
      names = "--workers",
      defaultValue = "1",
      description = "Rollout worker processes (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--credits",
      split = ",",
      defaultValue = "grpo,rredcot",
      description =
          "Arms, in this order: a credit preset, whose credit job writes at least once, or"
              + " <preset>@<delivery guarantee> (e.g. rredcot@exactly-once: records reach the"
              + " trainer when the checkpoint after them commits) (default ${DEFAULT-VALUE}).")
  List<String> credits;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the prompts, the same for every arm (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--warm-up-timeout",
      defaultValue = "600",
      description =
          "Seconds an arm may take to its first trained batch before it fails (default"
              + " ${DEFAULT-VALUE}).")
  double warmUpTimeoutS;

  @Override
  public Integer call() throws Exception {
    PrintWriter console = spec.commandLine().getOut();
    LoopBenchmarkSettings settings;
    try {
      settings =
          new LoopBenchmarkSettings(
              out,
              credits,
              workers,
              Duration.ofMillis(Math.round(seconds * 1000)),
              seed,
              Duration.ofMillis(Math.round(warmUpTimeoutS * 1000)));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    RredcotCli.logToFiles(spec, out.resolve("logs"), "bench-loop");
    console.printf(
        "bench loop: arms %s, %d worker(s), %.0f s measured per arm, seed %d; output %s%n",
        String.join(", ", credits), workers, seconds, seed, out);
    console.flush();
    LoopBenchmark.Summary summary;
    try (Progress progress = new Progress(console)) {
      summary = LoopBenchmark.run(settings, progress);
    }
    printTable(console, summary);
    console.printf("bench loop: %s%n", out.resolve(LoopBenchmark.SUMMARY_FILE));
    console.flush();
    return 0;
  }

  /** One row per figure, one column per arm; then the ratio and the note. */
  static void printTable(PrintWriter out, LoopBenchmark.Summary summary) {
    List<LoopBenchmark.ArmResult> arms = summary.arms();
    ArmTable<LoopBenchmark.ArmResult> table = new ArmTable<>(out, arms, 28, 12);
    table.row("", arm -> arm.credit());
    table.row("generated rollouts", a -> Integer.toString(a.generated()));
    table.row("trained", a -> Integer.toString(a.trained()));
    table.row("stale", a -> Integer.toString(a.stale()));
    table.row("dead letters", a -> Integer.toString(a.deadLetters()));
    table.row("in flight at the end", a -> Integer.toString(a.inFlight()));
    table.row("stale share", a -> String.format(Locale.ROOT, "%.1f%%", 100 * a.staleShare()));
    table.row("warm-up s", a -> String.format(Locale.ROOT, "%.0f", a.warmUpS()));
    table.row("window s", a -> String.format(Locale.ROOT, "%.0f", a.windowS()));
    table.row("trained rollouts/s", a -> String.format(Locale.ROOT, "%.2f", a.trainedPerS()));
    table.row("generated rollouts/s", a -> String.format(Locale.ROOT, "%.2f", a.generatedPerS()));
    table.row("trainer steps", a -> Long.toString(a.trainerSteps()));
    table.row(
        "credit lag mean / max (rec)",
        a -> String.format(Locale.ROOT, "%.0f / %d", a.lagRecordsMean(), a.lagRecordsMax()));
    table.row(
        "credit lag mean / max (s)",
        a -> String.format(Locale.ROOT, "%.1f / %.1f", a.lagOldestSMean(), a.lagOldestSMax()));
    table.row(
        "credit latency mean / p95 s",
        a ->
            String.format(
                Locale.ROOT, "%.1f / %.1f", a.creditLatencySMean(), a.creditLatencySP95()));
    table.row(
        "lag / in-flight budget", a -> String.format(Locale.ROOT, "%.2f", a.lagShareOfBudget()));
    table.row(
        "load average start / end",
        a -> String.format(Locale.ROOT, "%.1f / %.1f", a.loadAverageStart(), a.loadAverageEnd()));
    if (summary.rredcotVsGrpoTrainedPerS() != null) {
      out.printf(
          Locale.ROOT,
          "  %-28s %.2f%n",
          "trained/s rredcot / grpo",
          summary.rredcotVsGrpoTrainedPerS());
    }
    out.println("  " + summary.note());
    out.flush();
  }

  /** The benchmark's console: a bar over each arm's window once it measures. */
  private static final class Progress implements LoopBenchmark.Listener, AutoCloseable {
    private final ConsoleProgress console;

    Progress(PrintWriter out) {
      this.console = new ConsoleProgress(out, "bench loop", Duration.ofSeconds(30));
    }

    @Override
    public void onStatus(String line) {
      console.status(line);
    }

    @Override
    public void onTick(LoopBenchmark.Tick tick) {
      String summary =
          String.format(
              Locale.ROOT,
              "%s %s %.0f/%.0f s | %s",
              tick.credit(),
              tick.warmingUp() ? "warming up" : "measuring",
              tick.elapsedS(),
              tick.windowS(),
              figures(tick));
      if (tick.warmingUp()) {
        console.summaryOnly(summary);
      } else {
        console.tick(
            tick.credit(),
            Math.round(tick.elapsedS()),
            Math.round(tick.windowS()),
            " s",
            figures(tick),
            summary);
      }
    }

    private static String figures(LoopBenchmark.Tick tick) {
      return String.format(
          Locale.ROOT,
          "produced %d | trained %d (%.2f/s) | credit lag %d (%.1f s)",
          tick.produced(),
          tick.trained(),
          tick.trainedPerS(),
          tick.lagRecords(),
          tick.lagOldestS());
    }

    @Override
    public void close() {
      console.close();
    }
  }
}
