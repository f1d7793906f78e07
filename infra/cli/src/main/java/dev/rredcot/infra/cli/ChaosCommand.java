package dev.rredcot.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.chaos.ChaosRun;
import dev.rredcot.infra.chaos.ChaosSettings;
import dev.rredcot.infra.chaos.ChaosSummary;
import dev.rredcot.infra.chaos.ProcessKind;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
          + " checkpoints, trainer, rollout worker, feeder), SIGKILLs the credit job (its own JVM,"
          + " or with --flink cluster the TaskManager of a standalone Flink cluster), the trainer,"
          + " the worker, the broker and the feeder at seeded moments, one at a time and"
          + " (--overlaps) two at once or within 3 s, restarts each with the same command and"
          + " state, and audits every prompt and rollout id: trained, stale or dead-lettered,"
          + " never lost.",
      "Writes produced.tsv, credited.tsv, trained.tsv, stale.tsv, dead.tsv, lost.tsv,"
          + " prompts.tsv, kills.tsv and summary.json into --out."
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
      description = "Single SIGKILLs of each of --kinds (default ${DEFAULT-VALUE}).")
  int killsPerKind;

  @Option(
      names = "--flink",
      defaultValue = "embedded",
      description =
          "Where the credit job runs: embedded (its own JVM with a Flink mini-cluster; kind"
              + " pipeline) or cluster (a standalone Flink session cluster of the run's own, started"
              + " as `flink up` does; kind taskmanager) (default ${DEFAULT-VALUE}).")
  String flink;

  @Option(
      names = "--kinds",
      split = ",",
      description =
          "The kinds killed alone (default: pipeline or taskmanager, trainer, worker, broker,"
              + " feeder).")
  List<String> kinds;

  @Option(
      names = "--overlaps",
      defaultValue = "0",
      description =
          "Overlapping faults: this many seeded pairs of --kinds, the second killed 0-3 s after"
              + " the first (default ${DEFAULT-VALUE}).")
  int overlaps;

  @Option(
      names = "--overlap-pairs",
      split = ",",
      description =
          "Overlapping faults of these pairs instead, e.g. taskmanager+broker,trainer+worker.")
  List<String> overlapPairs;

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
              .optPromptsPerSecond(rate)
              .optOverlaps(overlaps);
      switch (flink) {
        case "embedded" -> {}
        case "cluster" -> {
          Path jobJar = FlinkSubmission.jobJar();
          if (!Files.isRegularFile(jobJar)) {
            throw new IllegalArgumentException(
                "--flink cluster submits the job jar "
                    + jobJar
                    + ", which is missing: build it with `mvn -B -DskipTests package -pl"
                    + " pipelines -am`");
          }
          builder.optFlinkCluster(jobJar);
        }
        default ->
            throw new IllegalArgumentException("--flink is embedded or cluster, got " + flink);
      }
      if (kinds != null) {
        builder.optKinds(kinds.stream().map(ProcessKind::parse).toList());
      }
      if (overlapPairs != null) {
        List<List<ProcessKind>> pairs = new ArrayList<>();
        for (String pair : overlapPairs) {
          pairs.add(List.of(pair.split("\\+")).stream().map(ProcessKind::parse).toList());
        }
        builder.optOverlapPairs(pairs);
      }
      if (timeoutMin != null) {
        builder.optTimeout(Duration.ofMillis(Math.round(timeoutMin * 60_000)));
      }
      settings = builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    console.printf(
        "chaos: %d rollouts (%d prompts x %d), credit job on %s Flink, %d kills of each of %s,"
            + " %d overlaps, seed %d; run directory %s%n",
        settings.prompts() * settings.groupSize(),
        settings.prompts(),
        settings.groupSize(),
        settings.onFlinkCluster() ? "a standalone" : "embedded",
        killsPerKind,
        String.join(",", settings.kinds().stream().map(ProcessKind::label).toList()),
        settings.overlaps(),
        seed,
        out);
    console.flush();
    ChaosSummary summary;
    try (Progress progress = new Progress(console)) {
      summary = new ChaosRun(settings).run(progress);
    }
    console.println(JSON.writeValueAsString(summary));
    console.printf(
        "chaos: %s; %d of %d prompts on the topic (%d doubled); %d produced, %d lost, %d"
            + " trained twice; summary %s%n",
        summary.complete() ? "every rollout accounted for" : "NOT every rollout accounted for",
        summary.promptsOnTopic(),
        summary.promptsExpected(),
        summary.promptsDoubled(),
        summary.produced(),
        summary.lost(),
        summary.trainedTwice(),
        out.resolve("summary.json"));
    console.flush();
    return summary.complete()
            && summary.lost() == 0
            && summary.trainedTwice() == 0
            && summary.promptsMissing() == 0
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
