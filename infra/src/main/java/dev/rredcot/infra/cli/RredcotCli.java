package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.BrokerStartException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code rredcot} command line: runs the local stack (Kafka broker), writes and reads the
 * project's topics, runs the credit pipeline and the trainer, rollout worker and task feeder as
 * long-running processes. Every capability is a subcommand.
 *
 * <pre>{@code
 * ./rredcot up --port 19092 && ./rredcot produce-rollouts --count 100 && ./rredcot tail rollouts
 * }</pre>
 */
@Command(
    name = "rredcot",
    mixinStandardHelpOptions = true,
    version = "rredcot 0.1.0",
    description =
        "RREDCoT Stream: segment-level credit for reasoning-model RL rollouts, as a stream.",
    subcommands = {
      UpCommand.class,
      StatusCommand.class,
      DownCommand.class,
      FlinkCommand.class,
      ProduceRolloutsCommand.class,
      TailCommand.class,
      PipelineCommand.class,
      ReplayCommand.class,
      DemoCommand.class,
      ChaosCommand.class,
      TrainerCommand.class,
      WorkerCommand.class,
      FeederCommand.class,
      PretrainCommand.class,
      BenchCommand.class,
      EvalCommand.class,
      CommandLine.HelpCommand.class
    })
public final class RredcotCli implements Runnable {
  /** Exit code of a command that failed at run time (usage errors exit with 2). */
  public static final int EXIT_FAILURE = 1;

  private static final String AVRO_TRUSTED_PACKAGES = "org.apache.avro.SERIALIZABLE_PACKAGES";

  private final RredcotHome home;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print stack traces of failures and more log lines.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** A CLI whose state lives in {@code home}. */
  public RredcotCli(RredcotHome home) {
    this.home = home;
  }

  public RredcotHome home() {
    return home;
  }

  @Override
  public void run() {
    // No subcommand: show what there is instead of doing nothing.
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A command line with the project's exception handling, for {@code main} and tests. */
  public static CommandLine commandLine(RredcotHome home) {
    RredcotCli cli = new RredcotCli(home);
    CommandLine commandLine = new CommandLine(cli);
    commandLine.setExecutionExceptionHandler(
        (exception, failedCommand, parseResult) -> {
          PrintWriter err = failedCommand.getErr();
          err.println("rredcot " + failedCommand.getCommandName() + ": " + oneLine(exception));
          if (exception instanceof BrokerStartException start && !start.logTail().isEmpty()) {
            err.println("last warnings and errors in " + start.logFile() + ":");
            start.logTail().forEach(line -> err.println("  " + line));
          }
          if (cli.verbose) {
            exception.printStackTrace(err);
          }
          err.flush();
          return EXIT_FAILURE;
        });
    return commandLine;
  }

  public static void main(String[] args) {
    // Avro refuses to decode generated classes of untrusted packages; the launcher sets this too,
    // but `java -cp ... RredcotCli` must work the same. Set before any Avro class loads. Beam's
    // Kafka reader stores its Flink checkpoint state (KafkaCheckpointMark) with Avro as well.
    if (System.getProperty(AVRO_TRUSTED_PACKAGES) == null) {
      System.setProperty(
          AVRO_TRUSTED_PACKAGES, "dev.rredcot,org.apache.beam.sdk.io.kafka,java.util,java.lang");
    }
    System.exit(commandLine(RredcotHome.fromEnvironment()).execute(args));
  }

  private static String oneLine(Throwable exception) {
    String message = exception.getMessage();
    if (message == null || message.isBlank()) {
      message = exception.getClass().getSimpleName();
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
