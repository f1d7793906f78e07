package dev.rredcot.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.chaos.ChaosRun;
import dev.rredcot.infra.chaos.ChaosSettings;
import dev.rredcot.infra.chaos.ChaosSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rredcot chaos}: the loop as processes, killed and restarted, audited by rollout id. */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the online loop as separate processes on a local broker (credit job on Flink with"
          + " checkpoints, trainer, rollout worker, feeder), SIGKILLs the credit job, the trainer,"
          + " the worker and the broker at seeded moments, restarts each with the same command and"
          + " state, and audits every rollout id: trained, stale or dead-lettered, never lost.",
      "Writes produced.tsv, credited.tsv, trained.tsv, stale.tsv, dead.tsv, lost.tsv, kills.tsv"
          + " and summary.json into --out."
    })
final class ChaosCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  @Option(
      names = "--rollouts",
      defaultValue = "2000",
      description = "Rollouts to produce, rounded up to whole groups (default ${DEFAULT-VALUE}).")
  int rollouts;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the kill schedule and of the prompts (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, description = "Run directory.")
  Path out;

  @Option(
      names = "--kills-per-kind",
      defaultValue = "2",
      description =
          "SIGKILLs of each of credit job, trainer, worker, broker (default ${DEFAULT-VALUE}).")
  int killsPerKind;

  @Option(
      names = "--credit",
      defaultValue = "rredcot",
      description = "The credit job's preset: rredcot, grpo or mc (default ${DEFAULT-VALUE}).")
  String credit;

  @Option(
      names = "--rate",
      defaultValue = "1",
      description = "Prompts per second the feeder sends (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--timeout-min",
      description = "Give up after this many minutes (default: max(10, rollouts / 120)).")
  Double timeoutMin;

  @Override
  public Integer call() throws Exception {
    PrintWriter console = spec.commandLine().getOut();
    RredcotCli.logToFiles(spec, out.resolve("logs"), "chaos");
    ChaosSettings settings;
    try {
      ChaosSettings.Builder builder =
          ChaosSettings.builder(rollouts, seed, out)
              .optKillsPerKind(killsPerKind)
              .optCredit(credit)
              .optPromptsPerSecond(rate);
      if (timeoutMin != null) {
        builder.optTimeout(Duration.ofMillis(Math.round(timeoutMin * 60_000)));
      }
      settings = builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    console.printf(
        "chaos: %d rollouts (%d prompts x %d), %d kills of each kind, seed %d; run directory %s%n",
        settings.prompts() * settings.groupSize(),
        settings.prompts(),
        settings.groupSize(),
        killsPerKind,
        seed,
        out);
    console.flush();
    ChaosSummary summary;
    try (Progress progress = new Progress(console)) {
      summary = new ChaosRun(settings).run(progress);
    }
    console.println(JSON.writeValueAsString(summary));
    console.printf(
        "chaos: %s; %d produced, %d lost, %d trained twice; summary %s%n",
        summary.complete() ? "every rollout accounted for" : "NOT every rollout accounted for",
        summary.produced(),
        summary.lost(),
        summary.trainedTwice(),
        out.resolve("summary.json"));
    console.flush();
    return summary.complete() && summary.lost() == 0 && summary.trainedTwice() == 0
        ? 0
        : RredcotCli.EXIT_FAILURE;
  }

  /** The chaos run's console: kills as lines, a bar over the rollouts accounted for. */
  private static final class Progress implements ChaosRun.Listener, AutoCloseable {
    private final ConsoleProgress console;

    Progress(PrintWriter out) {
      this.console = new ConsoleProgress(out, "chaos", Duration.ofSeconds(60));
    }

    @Override
    public void onStatus(String line) {
      console.status(line);
    }

    @Override
    public void onTick(ChaosRun.Tick tick) {
      long accounted = Math.min(tick.target(), tick.accounted());
      String figures =
          String.format(
              "produced %d | trained %d | dead %d | kills %d/%d",
              tick.produced(),
              tick.trained(),
              tick.deadLetters(),
              tick.kills(),
              tick.killsPlanned());
      console.tick(
          "chaos",
          accounted,
          tick.target(),
          " rollouts",
          figures,
          String.format(
              "%4d s  %d of %d accounted | %s",
              console.elapsedS(), accounted, tick.target(), figures));
    }

    @Override
    public void close() {
      console.close();
    }
  }
}
