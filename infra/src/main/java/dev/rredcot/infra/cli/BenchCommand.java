package dev.rredcot.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.bench.BenchmarkOptions;
import dev.rredcot.model.bench.BenchmarkResult;
import dev.rredcot.model.bench.ModelBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rredcot bench}: the benchmarks whose figures docs/BENCHMARKS.md records. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Run a benchmark; each writes DIR/summary.json and prints a table.",
    subcommands = {BenchCommand.Model.class})
final class BenchCommand implements Runnable {
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
            + " memory, and the shipped initial policy's accuracy."
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

    @Override
    public Integer call() throws Exception {
      BenchmarkResult result =
          ModelBenchmark.run(
              BenchmarkOptions.builder()
                  .setOutputDir(out)
                  .optAccuracyProblems(accuracyProblems)
                  .build());
      PrintWriter console = spec.commandLine().getOut();
      printTable(console, result);
      console.printf("bench model: %s%n", out.resolve(ModelBenchmark.SUMMARY_FILE));
      console.flush();
      return 0;
    }
  }
}
