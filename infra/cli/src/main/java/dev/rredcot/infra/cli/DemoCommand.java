package dev.rredcot.infra.cli;

import dev.rredcot.infra.demo.DemoRun;
import dev.rredcot.infra.demo.DemoSettings;
import dev.rredcot.infra.demo.DemoSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot demo}: the whole online RL loop on the local stack, from the shipped initial
 * policy, for a few minutes; writes a run directory with metrics, summary and an HTML report.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the online RL loop end to end: a Kafka broker, task feeder, rollout worker, the credit"
          + " pipeline on the embedded Flink runner and the trainer, from the shipped initial"
          + " policy. Shows live progress; writes config.json, metrics.jsonl, summary.json and"
          + " report.html to the run directory; stops every process it started at the end and on"
          + " Ctrl-C (which still writes summary.json and report.html, marked interrupted)."
          + " Log lines go to logs/ in the run directory (--verbose: also to the console)."
    })
final class DemoCommand implements Callable<Integer> {
  private static final long SUMMARY_EVERY_S = 60;

  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Option(
      names = "--minutes",
      defaultValue = "6",
      description = "Training time budget in minutes (default ${DEFAULT-VALUE}).")
  double minutes;

  @Option(
      names = "--steps",
      defaultValue = "0",
      description = "Stop after this many training steps (0: only the time budget).")
  long steps;

  @Option(
      names = "--credit",
      defaultValue = "rredcot",
      description = "Credit method: rredcot (default) or grpo.")
  String credit;

  @Option(
      names = "--task",
      defaultValue = "arith",
      description =
          "Task family: arith (default) or countdown; starts from that family's shipped policy"
              + " (a JSONL family has none: run the services with --task FILE.jsonl --store DIR).")
  String task;

  @Option(names = "--out", description = "Run directory (default: $RREDCOT_HOME/runs/demo-<time>).")
  Path out;

  @Option(
      names = "--bootstrap",
      description = "Use this Kafka broker instead of starting one for the run.")
  String bootstrap;

  @Option(
      names = "--secure",
      description =
          "Start the run's broker with SASL_SSL (SCRAM-SHA-512 over TLS, as `up --secure`); every"
              + " client of the run, the credit job's JVM included, uses the client config it"
              + " writes under the run directory.")
  boolean secure;

  @Option(
      names = "--eval-prompts",
      defaultValue = "64",
      description = "Held-out prompts (each sampled --eval-samples times).")
  int evalPrompts;

  @Option(
      names = "--eval-samples",
      defaultValue = "4",
      description = "Samples per held-out prompt.")
  int evalSamples;

  @Option(
      names = "--learning-rate",
      defaultValue = "2.5e-5",
      description =
          "The trainer's learning rate (default 2.5e-5, chosen by measurement: docs/RESULTS.md"
              + " section 3).")
  double learningRate;

  @Option(
      names = "--kl-coefficient",
      defaultValue = "0",
      description =
          "Weight of the trainer's per-token k3 KL penalty to the run's initial policy (default"
              + " ${DEFAULT-VALUE}: off).")
  double klCoefficient;

  @Option(
      names = "--in-flight-staleness",
      defaultValue = "1",
      description =
          "S of the in-flight budget: the worker samples while rollouts not yet read by the"
              + " trainer stay within (S + 1)·B groups (default ${DEFAULT-VALUE}).")
  int inFlightStaleness;

  @Option(
      names = "--in-flight-write-off-after",
      defaultValue = "120",
      paramLabel = "SECONDS",
      description =
          "Seconds rollouts may stay in flight with no claim and no credited rollout before the"
              + " trainer writes them off as lost (default ${DEFAULT-VALUE}; 0: never).")
  long inFlightWriteOffAfter;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (!(minutes > 0)) {
      throw new ParameterException(spec.commandLine(), "--minutes must be positive");
    }
    Path runDir =
        this.out != null
            ? this.out
            : cli.home()
                .runsDir()
                .resolve(
                    "demo-"
                        + LocalDateTime.now()
                            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
    RredcotCli.logToFiles(spec, runDir.resolve("logs"), "demo");
    if (bootstrap != null) {
      BootstrapOption.requireReachable(bootstrap);
    }
    // Resolved here so that a JSONL family is refused in one line before anything starts.
    TaskOption.builtIn(spec, TaskOption.resolve(spec, task));
    DemoSettings settings;
    try {
      settings =
          DemoSettings.builder(runDir)
              .optBudget(Duration.ofMillis(Math.round(minutes * 60_000)), steps)
              .optCredit(credit)
              .optTask(task)
              .optBootstrapServers(bootstrap)
              .optSecure(secure)
              .optLearningRate(learningRate)
              .optKlCoefficient(klCoefficient)
              .optInFlightStaleness(inFlightStaleness)
              .optInFlightWriteOffAfter(Duration.ofSeconds(inFlightWriteOffAfter))
              .optEvaluation(evalPrompts, evalSamples, 5)
              .build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    out.printf(
        "demo: %s credit%s for %.1f min%s; run directory %s%n",
        credit,
        "arith".equals(task) ? "" : " on " + task,
        minutes,
        steps > 0 ? " or " + steps + " steps" : "",
        runDir);
    out.println("demo: starting broker, trainer, credit pipeline (Flink), rollout worker, feeder");
    out.flush();
    long budgetS = Math.max(1, Math.round(minutes * 60));
    DemoSummary summary;
    try (BudgetProgress progress = new BudgetProgress(out, budgetS, SUMMARY_EVERY_S)) {
      summary = new DemoRun(settings).run(progress);
    }
    out.printf(
        Locale.ROOT,
        "demo: held-out accuracy %.1f%% -> %.1f%% (%+.1f points; greedy %.1f%% -> %.1f%%) after"
            + " %d steps on %d rollouts; %d checkpoints published, %d dead letters, %d duplicates"
            + " ignored, %d stale dropped, %.0f s%n",
        100 * summary.initialAccuracy(),
        100 * summary.finalAccuracy(),
        summary.accuracyGainPoints(),
        100 * summary.initialGreedyAccuracy(),
        100 * summary.finalGreedyAccuracy(),
        summary.trainingSteps(),
        summary.rolloutsTrained(),
        summary.checkpointsPublished(),
        summary.deadLetters(),
        summary.duplicatesIgnored(),
        summary.staleDropped(),
        summary.wallS());
    out.printf("demo: report %s%n", runDir.resolve("report.html"));
    out.flush();
    return 0;
  }

  /**
   * The demo's console: a bar over the time budget with the loop's figures, a summary line every
   * {@code summaryEveryS} seconds.
   */
  private static final class BudgetProgress implements DemoRun.Listener, AutoCloseable {
    private final ConsoleProgress console;
    private final long budgetS;

    BudgetProgress(PrintWriter out, long budgetS, long summaryEveryS) {
      this.console = new ConsoleProgress(out, "demo", Duration.ofSeconds(summaryEveryS));
      this.budgetS = budgetS;
    }

    @Override
    public void onStatus(String line) {
      // The loop is over (or interrupted): the bar's last state stays, the lines go below it.
      console.close();
      console.status(line);
    }

    @Override
    public void onTick(DemoRun.Tick tick) {
      String figures = progressLine(tick);
      console.tick(
          "demo",
          Math.round(tick.elapsedS()),
          budgetS,
          " s",
          figures,
          String.format(Locale.ROOT, "%4.0f s  ", tick.elapsedS()) + figures);
    }

    @Override
    public void close() {
      console.close();
    }
  }

  private static String progressLine(DemoRun.Tick tick) {
    return String.format(
        Locale.ROOT,
        "step %d v%d | %.1f rollouts/s | reward %.2f | held-out %s | dead letters %d",
        tick.step(),
        tick.policyVersion(),
        tick.rolloutsPerS(),
        tick.recentMeanReward(),
        Double.isNaN(tick.heldOutAccuracy())
            ? "-"
            : String.format(Locale.ROOT, "%.1f%%", 100 * tick.heldOutAccuracy()),
        tick.deadLetters());
  }
}
