package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.rollout.TaskFeeder;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot feeder}: the task feeder as a long-running process. */
@Command(
    name = "feeder",
    mixinStandardHelpOptions = true,
    description = {
      "Write prompts of --task (arith or countdown) to the prompts topic, deterministic by seed, until SIGTERM or"
          + " Ctrl-C (or, with --count, after --rounds rounds of a fixed set). Every prompt is"
          + " acknowledged by the broker before the next."
    })
final class FeederCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption = BootstrapOption.forRole(ClientRole.FEEDER);
  @Mixin TaskOption taskOption;
  @Mixin MetricsOption metricsOption;

  @Option(
      names = "--rate",
      defaultValue = "10",
      description = "Most prompts per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--first-seed",
      defaultValue = "0",
      description = "Seed of the first problem (default ${DEFAULT-VALUE}).")
  long firstSeed;

  @Option(
      names = "--count",
      defaultValue = "0",
      description = "A fixed set of this many prompts (default ${DEFAULT-VALUE}: endless).")
  long count;

  @Option(
      names = "--from-start",
      description =
          "Send from the first prompt even when the topic holds prompts already (default: a"
              + " restarted feeder goes on after the prompts on the topic).")
  private boolean fromStart;

  @Option(
      names = "--rounds",
      defaultValue = "1",
      description = "Times the fixed set is sent (default ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    metricsOption.validate(spec);
    cli.logToFiles("feeder");
    if (!(rate > 0) || count < 0 || rounds < 1) {
      throw new ParameterException(
          spec.commandLine(), "--rate and --rounds must be positive, --count >= 0");
    }
    TaskChoice task = taskOption.resolve(spec);
    TaskFeeder.Builder builder =
        TaskFeeder.builder()
            .setBootstrapServers(bootstrapOption.resolveReachable(cli.home()))
            // The problems the family's shipped policy was made for.
            .setTask(task.family())
            .optFirstSeed(firstSeed)
            .optPromptsPerSecond(rate)
            .optResume(!fromStart);
    if (count > 0) {
      builder.optFixedSet(count, rounds);
    }
    TaskFeeder feeder = builder.build();
    feeder.start();
    out.printf(
        "feeder: %s %s prompts from seed %d at %s per second to %s; SIGTERM or Ctrl-C stops it%n",
        count > 0 ? count + " x " + rounds : "endless",
        task.name(),
        firstSeed,
        rate,
        bootstrapOption.resolve(cli.home()));
    out.flush();
    return ServiceProcess.run(
        "feeder", feeder, metricsOption, () -> feeder.promptsSent() + " prompts sent", out);
  }
}
