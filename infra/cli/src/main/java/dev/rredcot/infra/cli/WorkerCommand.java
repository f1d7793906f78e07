package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.RolloutWorkerStats;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.schemas.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot worker}: a rollout worker as a long-running process. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a rollout worker until SIGTERM or Ctrl-C: consume prompts in a consumer group, sample"
          + " G traces per prompt with the newest announced policy, publish them to rollouts and"
          + " commit the prompts only after every rollout is acknowledged. Starts with the newest"
          + " checkpoint of --store that verifies (the shipped policy of --task when the store is"
          + " empty); that policy must be able to write --task problems. Prompts of every"
          + " registered family are verified."
          + " Start several with the same --group to share the prompts."
    })
final class WorkerCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption = BootstrapOption.forRole(ClientRole.WORKER);
  @Mixin TaskOption taskOption;
  @Mixin MetricsOption metricsOption;
  @Mixin CheckpointTrustOption trustOption;

  @Option(
      names = "--store",
      paramLabel = "DIR",
      description = "Checkpoint store to start from (default: $RREDCOT_HOME/checkpoints).")
  Path store;

  @Option(
      names = "--group-size",
      defaultValue = "8",
      description = "Traces per prompt, G (default ${DEFAULT-VALUE}).")
  int groupSize;

  @Option(
      names = "--prompts-per-batch",
      defaultValue = "8",
      description = "Most prompts per generation batch (default ${DEFAULT-VALUE}).")
  int promptsPerBatch;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "Sampling temperature (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--max-tokens",
      defaultValue = "64",
      description = "Most tokens per trace (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = "--in-flight-budget",
      arity = "1",
      paramLabel = "true|false",
      defaultValue = "true",
      description =
          "Sample a prompt only once the budget ledger (topic rollout-budget) accepted it: rollouts"
              + " of all workers together not yet read by the trainer stay within the (S + 1)·B"
              + " groups the trainer publishes (its --in-flight-staleness and --batch-groups);"
              + " nothing is sampled until a trainer has published. false: no bound (default"
              + " ${DEFAULT-VALUE}).")
  boolean inFlightBudget;

  @Option(
      names = "--group",
      defaultValue = "rollout-workers",
      description = "Consumer group of the prompt consumer (default ${DEFAULT-VALUE}).")
  String group;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    metricsOption.validate(spec);
    cli.logToFiles("worker");
    if (groupSize < 1 || promptsPerBatch < 1 || maxTokens < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--group-size, --prompts-per-batch and --max-tokens must be positive");
    }
    TaskChoice family = taskOption.resolve(spec);
    Path root = store != null ? store : cli.home().checkpointsDir();
    CheckpointStore checkpoints =
        new CheckpointStore(root, Integer.MAX_VALUE, trustOption.resolve(cli.home()));
    if (checkpoints.versions().isEmpty()) {
      try {
        family.materialiseShipped(checkpoints, "worker");
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      out.printf(
          "worker: no policy in %s yet: using the shipped %s policy as version 0%n",
          root, family.name());
    }
    Optional<Checkpoint> latest = checkpoints.newestVerified();
    if (latest.isPresent()) {
      TaskOption.requireCovers(spec, latest.get(), family);
    }
    TaskFamilyRegistry registry = family.registry();
    List<TaskFamily> families = new ArrayList<>();
    for (String name : registry.names()) {
      families.add(registry.resolve(name));
    }
    RolloutWorker.Builder builder =
        RolloutWorker.builder()
            .setBootstrapServers(bootstrapOption.resolveReachable(cli.home()))
            .setCheckpointStore(checkpoints)
            // Verification needs only the family's name, so the worker takes every family.
            .setTaskFamilies(families)
            .optGroupSize(groupSize)
            .optPromptsPerBatch(promptsPerBatch)
            .optTemperature(temperature)
            .optMaxTokens(maxTokens)
            .optConsumerGroup(group);
    if (inFlightBudget) {
      builder.optInFlightBudget(Topics.ROLLOUT_BUDGET);
    }
    if (latest.isPresent()) {
      builder.optInitialPolicy(PolicyCheckpoints.load(latest.get()));
    }
    RolloutWorker worker = builder.build();
    worker.start();
    out.printf(
        "worker: %s; consuming prompts at %s (group %s)%s; SIGTERM or Ctrl-C stops it%n",
        latest
            .map(c -> "policy v" + c.version() + " from " + root)
            .orElse("no checkpoint in " + root + ", waiting for an announcement"),
        bootstrapOption.resolve(cli.home()),
        group,
        inFlightBudget ? ", within the trainer's in-flight budget" : ", no in-flight budget");
    out.flush();
    return ServiceProcess.run(
        "worker",
        worker,
        metricsOption,
        () -> {
          RolloutWorkerStats stats = worker.stats();
          return String.format(
              Locale.ROOT,
              "policy v%d, %d prompts served, %d rollouts published, %d prompts rejected",
              stats.policyVersion(),
              stats.promptsServed(),
              stats.rolloutsPublished(),
              stats.promptsRejected());
        },
        out);
  }
}
