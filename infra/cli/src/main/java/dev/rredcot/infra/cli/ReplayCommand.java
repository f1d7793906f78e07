package dev.rredcot.infra.cli;

import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.pipelines.CreditChoice;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditRunResult;
import dev.rredcot.pipelines.replay.KafkaRange;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.PipelineResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code rredcot replay}: re-credits a stored stretch of rollouts (a range of the rollouts topic,
 * or Avro files) with a credit method of the user's choosing, into a topic or Avro files.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Re-credit stored rollouts with another method: a bounded range of the rollouts topic"
          + " (--from/--to as partition:offset lists or ISO-8601 times) or Avro files"
          + " (--input-files), written to a topic or to Avro files (--out).",
      "Example: rredcot replay --from 0:0,1:0 --to 0:500,1:500 --credit=mc --out mc-credited",
      "Other --name=value arguments are options of the credit job (see --beam-help), e.g."
          + " --value-estimator=mc or --flink-master=HOST:PORT."
    })
final class ReplayCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption;
  @Mixin ModelOption modelOption;

  @Option(
      names = "--from",
      paramLabel = "START",
      description = "First record: partition:offset[,…] or an ISO-8601 time.")
  String from;

  @Option(
      names = "--to",
      paramLabel = "STOP",
      description = "Stop before: partition:offset[,…] (exclusive) or an ISO-8601 time.")
  String to;

  @Option(
      names = "--input-files",
      paramLabel = "GLOB",
      description = "Read Avro files (Rollout records or raw topic values) instead of Kafka.")
  String inputFiles;

  @Mixin CreditOption creditOption;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "TOPIC|file:PREFIX",
      description =
          "Where credited rollouts go: a topic name, or file:PREFIX for Avro files (dead letters"
              + " then go to PREFIX-dead-letters).")
  String out;

  // help = true: listed even without the required --out.
  @Option(names = "--beam-help", help = true, description = "List the job's options and exit.")
  boolean beamHelp;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    if (beamHelp) {
      BeamJobArgs.printBeamHelp(spec.commandLine().getOut());
      return 0;
    }
    BeamJobArgs job = beamJobArgs();
    FlinkSubmission.requireJobJar(job);
    CreditPipelineOptions options = job.parse();
    BeamJobArgs.requireBrokerIfUsed(options);
    PrintWriter console = spec.commandLine().getOut();
    BeamJobArgs.ensurePolicy(options, console);
    if (options.getOutputFiles().isEmpty()) {
      BeamJobArgs.createOutputTopic(options, console);
    }
    console.printf(
        "replay on %s with credit %s -> %s%n",
        options.getRunner().getSimpleName(), CreditChoice.of(options), out);
    console.flush();
    CreditRunResult result = CreditPipeline.runBounded(options);
    console.printf("replay %s%n", result.state());
    BeamJobArgs.printCounters(console, result.counters());
    return result.state() == PipelineResult.State.DONE ? 0 : RredcotCli.EXIT_FAILURE;
  }

  /** The Beam arguments of the replay job (for tests: what {@link #call} runs). */
  List<String> jobArgs() {
    return beamJobArgs().args();
  }

  private BeamJobArgs beamJobArgs() {
    if (inputFiles == null && from == null && to == null) {
      throw new ParameterException(
          spec.commandLine(), "say what to replay: --from/--to (a topic range) or --input-files");
    }
    if (inputFiles != null && (from != null || to != null)) {
      throw new ParameterException(
          spec.commandLine(), "--input-files replaces --from/--to: give one or the other");
    }
    BeamJobArgs job =
        new BeamJobArgs(spec.commandLine(), beamArgs)
            .refuse("fromOffsets", "--from")
            .refuse("fromTime", "--from")
            .refuse("toOffsets", "--to")
            .refuse("toTime", "--to")
            .refuse("outputTopic", "--out")
            .refuse("outputFiles", "--out file:PREFIX")
            .withOverride("bootstrapServers", bootstrapOption.resolve(cli.home()));
    creditOption
        .apply(job)
        .withKafkaConfig(KafkaClients.clientConfig())
        .withDefault("checkpointDir", cli.home().checkpointsDir());
    modelOption.apply(job);
    FlinkLoopback.applyDefaults(job, cli.home().flinkConfDir());
    FlinkSubmission.applyDefaults(job, "rredcot-replay", true);
    // The replay's own options decide over a config file's Beam options.
    if (from != null) {
      job.withOverride(KafkaRange.isTime(from) ? "fromTime" : "fromOffsets", from);
    }
    if (to != null) {
      job.withOverride(KafkaRange.isTime(to) ? "toTime" : "toOffsets", to);
    }
    if (inputFiles != null) {
      job.withOverride("inputFiles", inputFiles).withDefault("watchCheckpoints", false);
    }
    if (out.startsWith("file:")) {
      job.withOverride("outputFiles", out.substring("file:".length()));
    } else {
      job.withOverride("outputTopic", out);
    }
    return job;
  }
}
