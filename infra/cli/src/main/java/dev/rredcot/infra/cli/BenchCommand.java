package dev.rredcot.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.bench.PipelineBenchmark;
import dev.rredcot.infra.bench.PipelineBenchmarkOptions;
import dev.rredcot.model.bench.BenchmarkOptions;
import dev.rredcot.model.bench.BenchmarkResult;
import dev.rredcot.model.bench.ModelBenchmark;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.pipelines.BeamFlags;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code rredcot bench}: the benchmarks whose figures docs/BENCHMARKS.md records. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Run a benchmark; each writes DIR/summary.json and prints a table.",
    subcommands = {
      BenchCommand.Model.class,
      BenchCommand.Pipeline.class,
      BenchLoopCommand.class,
      BenchFloodCommand.class
    })
final class BenchCommand implements Runnable {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints a summary object's fields as a two-column table. */
  static void printTable(PrintWriter out, Object summary) {
    Map<?, ?> fields = new ObjectMapper().convertValue(summary, Map.class);
    fields.forEach((name, value) -> out.printf("  %-36s %s%n", name, value));
    out.flush();
  }

  /** {@code rredcot bench model}: generation, scoring, boundary values and training speed. */
  @Command(
      name = "model",
      mixinStandardHelpOptions = true,
      description = {
        "Benchmark the policy on this machine: generation with and without the KV cache,"
            + " scoring, boundary values with KV reuse vs re-running prefixes, a training step,"
            + " memory, and the shipped initial policy's accuracy; with --model DIR, that model's"
            + " scoring speed beside the policy's."
      })
  static final class Model implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(
        names = "--accuracy-problems",
        defaultValue = "500",
        description = "Fresh 4-step problems for the accuracy figure (default ${DEFAULT-VALUE}).")
    int accuracyProblems;

    @Option(
        names = "--model",
        paramLabel = "DIR",
        description =
            "Also measure the scoring speed of this model directory (a llama2.c or Hugging Face"
                + " Llama directory, a TorchScript export, a checkpoint) beside the policy's, on"
                + " as many sequences of the same lengths.")
    Path model;

    @Override
    public Integer call() throws Exception {
      RredcotCli.logToFiles(spec, out.resolve("logs"), "bench-model");
      BenchmarkResult result =
          ModelBenchmark.run(
              BenchmarkOptions.builder()
                  .setOutputDir(out)
                  .optAccuracyProblems(accuracyProblems)
                  .optModel(model)
                  .build());
      PrintWriter console = spec.commandLine().getOut();
      printTable(console, result);
      console.printf("bench model: %s%n", out.resolve(ModelBenchmark.SUMMARY_FILE));
      console.flush();
      return 0;
    }
  }

  /** {@code rredcot bench pipeline}: the credit job's streaming rate against a bare loop. */
  @Command(
      name = "pipeline",
      mixinStandardHelpOptions = true,
      description = {
        "Benchmark the credit job: Kafka -> Beam on the Flink runner -> Kafka with rredcot credit,"
            + " in steady state after a warm-up, against the same scoring in a plain in-process"
            + " loop over the same rollouts; and model tokens per rollout, rredcot vs Monte Carlo"
            + " with M = 8. Uses an in-process broker. About 5 minutes with defaults."
      })
  static final class Pipeline implements Callable<Integer> {
    @ParentCommand BenchCommand bench;
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--rollouts", description = "Rollouts per timed round (default 512).")
    Integer rollouts;

    @Option(names = "--rounds", description = "Timed rounds (default 6).")
    Integer rounds;

    @Option(names = "--warm-up", description = "Warm-up rollouts before timing (default 3072).")
    Integer warmUp;

    @Option(
        names = "--token-groups",
        description = "Groups of 4 per problem length for the model-token comparison (default 4).")
    Integer tokenGroups;

    @Option(names = "--parallelism", description = "Flink parallelism of the job (default 1).")
    Integer parallelism;

    @Option(names = "--max-tokens", description = "Longest generated trace in tokens.")
    Integer maxTokens;

    /** Options of the credit job ({@code --group-timeout-ms=60000}, as for {@code pipeline}). */
    @Unmatched List<String> beamArgs = new ArrayList<>();

    @Mixin TaskOption taskOption;

    @Override
    public Integer call() throws Exception {
      try {
        BeamFlags.toBeamArgs(beamArgs);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      RredcotCli.logToFiles(spec, out.resolve("logs"), "bench-pipeline");
      TaskChoice choice = taskOption.resolve(spec);
      BuiltInTask task = TaskOption.builtIn(spec, choice);
      Path store = bench.cli.home().checkpointsDir();
      Optional<Checkpoint> latest = new CheckpointStore(store, Integer.MAX_VALUE).latest();
      if (latest.isPresent()) {
        TaskOption.requireCovers(spec, latest.get(), choice);
      }
      PipelineBenchmarkOptions.Builder options =
          PipelineBenchmarkOptions.builder()
              .setOutputDir(out)
              .optCheckpointDir(store.toString())
              .optTask(task);
      if (rollouts != null) {
        options.optRollouts(rollouts);
      }
      if (rounds != null) {
        options.optRounds(rounds);
      }
      if (warmUp != null) {
        options.optWarmUpRollouts(warmUp);
      }
      if (tokenGroups != null) {
        options.optTokenGroups(tokenGroups);
      }
      if (parallelism != null) {
        options.optParallelism(parallelism);
      }
      if (maxTokens != null) {
        options.optMaxTokens(maxTokens);
      }
      options.optPipelineArgs(beamArgs);
      PipelineBenchmark.Result result = PipelineBenchmark.run(options.build());
      PrintWriter console = spec.commandLine().getOut();
      printTable(console, result);
      console.printf("bench pipeline: %s%n", result.summaryFile());
      console.flush();
      return 0;
    }
  }
}
