package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.pipelines.CreditChoice;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.PipelineResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code rredcot pipeline}: runs the credit job ({@link CreditPipeline}) against Kafka. */
@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = {
      "Run the credit job: rollouts -> segment, value, redistribute, advantages ->"
          + " credited-rollouts (and dead-letters).",
      "Runs on FlinkRunner with --flink-master=[local] unless you pass --runner. Any other"
          + " --name=value (or --name value) argument is an option of the job, in kebab-case like"
          + " every option (--group-timeout-ms=30000): --beam-help lists them, the Flink runner's"
          + " too; the runner's and Beam's own also take Beam's camelCase name (--flinkMaster).",
      "An unbounded run on Flink checkpoints every 30 s (exactly once, --checkpointing-interval),"
          + " keeps its state under $RREDCOT_HOME/flink-checkpoints (--state-backend-storage-path),"
          + " retains the checkpoints when stopped and resumes from the newest one at its next"
          + " start (unless --fresh or --savepoint-path).",
      "Its Kafka output is at least once (consumers deduplicate by rollout id);"
          + " --delivery-guarantee=exactly-once makes it exactly once for read_committed consumers"
          + " (transactions committed with each checkpoint, so records appear up to one interval"
          + " later).",
      "Credit: --credit preset (default rredcot); explicit --credit-method, --value-estimator or"
          + " --segmentation win over it.",
      "--flink-master=HOST:PORT submits the job to a Flink cluster (rredcot flink up) with the job"
          + " jar pipelines/target/rredcot-credit-job.jar: a bounded run (--max-records) is"
          + " followed to its end, an unbounded one is submitted detached and runs there.",
      "Credit needs a policy that can write the records' family: --store (default"
          + " $RREDCOT_HOME/checkpoints) gets the shipped policy of --task when it is empty;"
          + " records the policy cannot tokenise become unmappable-tokens dead letters."
    })
final class PipelineCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption = BootstrapOption.forRole(ClientRole.CREDIT);
  @Mixin TaskOption taskOption;
  @Mixin ModelOption modelOption;

  @Option(
      names = "--max-records",
      defaultValue = "0",
      paramLabel = "N",
      description = "Stop after N input records and print the job's counters; 0 runs until Ctrl-C.")
  long maxRecords;

  @Mixin CreditOption creditOption;

  @Option(
      names = "--fresh",
      description = "Do not restore the newest retained Flink checkpoint (an unbounded run).")
  boolean fresh;

  @Option(
      names = "--beam-help",
      description =
          "List the job's options (the credit job's, the Flink runner's, Beam's) and exit.")
  boolean beamHelp;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  private Optional<Path> restored = Optional.empty();

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (beamHelp) {
      BeamJobArgs.printBeamHelp(out);
      return 0;
    }
    if (maxRecords < 0) {
      throw new ParameterException(spec.commandLine(), "--max-records must not be negative");
    }
    BeamJobArgs jobArgs = beamJobArgs();
    FlinkSubmission.requireJobJar(jobArgs);
    CreditPipelineOptions options = jobArgs.parse();
    TaskChoice task = taskOption.resolve(spec);
    if (!TaskFamilyRegistry.parse(options.getTaskFamilies()).names().contains(task.name())) {
      throw new ParameterException(
          spec.commandLine(),
          "--task-families="
              + options.getTaskFamilies()
              + " does not list --task "
              + task.spec()
              + ": add it, or leave --task-families out");
    }
    cli.logToFiles("pipeline");
    BeamJobArgs.requireBrokerIfUsed(options);
    try {
      BeamJobArgs.ensurePolicy(options, task, out);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (options.getOutputFiles().isEmpty()) {
      BeamJobArgs.createOutputTopic(options, out);
    }
    out.printf(
        "credit job on %s: %s -> %s at %s, credit %s%s%n",
        options.getRunner().getSimpleName(),
        options.getInputTopic(),
        options.getOutputTopic(),
        options.getBootstrapServers(),
        CreditChoice.of(options),
        maxRecords > 0 ? ", stopping after " + maxRecords + " records" : ", until Ctrl-C");
    restored.ifPresent(
        checkpoint -> out.printf("resuming from retained Flink checkpoint %s%n", checkpoint));
    out.flush();
    PipelineResult result = CreditPipeline.run(options);
    if (!options.as(FlinkPipelineOptions.class).getAttachedMode()) {
      // Submitted detached to a cluster: the job runs there until cancelled or stopped.
      out.printf(
          "credit job %s submitted to the Flink cluster at %s (detached): it runs there until"
              + " cancelled or stopped with a savepoint; `rredcot flink status` lists it%n",
          options.getJobName(), options.as(FlinkPipelineOptions.class).getFlinkMaster());
      return 0;
    }
    PipelineResult.State state = result.waitUntilFinish();
    out.printf("credit job %s%n", state);
    BeamJobArgs.printCounters(out, CreditPipeline.counters(result));
    return state == PipelineResult.State.DONE ? 0 : RredcotCli.EXIT_FAILURE;
  }

  /** The Beam arguments: the user's, plus the runner, bootstrap and bound unless given. */
  List<String> jobArgs() {
    return beamJobArgs().args();
  }

  private BeamJobArgs beamJobArgs() {
    BeamJobArgs args =
        new BeamJobArgs(spec.commandLine(), beamArgs)
            .withOverride("bootstrapServers", bootstrapOption.resolve(cli.home()))
            .withOverride("maxRecords", maxRecords);
    creditOption
        .apply(args)
        .withKafkaConfig(KafkaClients.clientConfig())
        .withDefault("checkpointDir", cli.home().checkpointsDir());
    TaskChoice task = taskOption.resolve(spec);
    if (task.builtIn().isEmpty()) {
      // The credit job verifies and scores the records of --task's family besides the built-ins.
      args.withDefault("taskFamilies", task.familiesSpec());
    }
    modelOption.apply(args);
    FlinkLoopback.applyDefaults(args, cli.home().flinkConfDir());
    FlinkSubmission.applyDefaults(args, "rredcot-credit", !unbounded(args));
    restored = Optional.empty();
    if (unbounded(args) && args.runsOnFlink()) {
      restored = FlinkCheckpointing.applyDefaults(args, cli.home().flinkCheckpointsDir(), fresh);
    }
    return args;
  }

  private boolean unbounded(BeamJobArgs args) {
    return maxRecords == 0
        && !args.given("maxRecords")
        && Stream.of("fromOffsets", "toOffsets", "fromTime", "toTime", "inputFiles")
            .noneMatch(args::given);
  }
}
