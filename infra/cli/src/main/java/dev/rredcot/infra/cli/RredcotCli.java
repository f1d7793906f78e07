package dev.rredcot.infra.cli;

import dev.rredcot.infra.config.ConfigDefaults;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.BrokerStartException;
import dev.rredcot.infra.logs.CliLogs;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
      ServeCommand.class,
      KeysCommand.class,
      ConfigCommand.class,
      CompareCommand.class,
      ExportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class RredcotCli implements Runnable {
  /** Exit code of a command that failed at run time (usage errors exit with 2). */
  public static final int EXIT_FAILURE = 1;

  private static final String AVRO_TRUSTED_PACKAGES = "org.apache.avro.SERIALIZABLE_PACKAGES";
  private static final Logger LOG = LoggerFactory.getLogger(RredcotCli.class);

  private final RredcotHome home;
  private final ConfigDefaults configDefaults;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description =
          "Show every log line on the console (default: warnings and errors; long-running"
              + " commands keep every line in their log files) and stack traces of failures.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** A CLI whose state lives in {@code home}. */
  public RredcotCli(RredcotHome home) {
    this.home = home;
    this.configDefaults = new ConfigDefaults(home, System::getenv);
  }

  // A setter, so the file is known before picocli asks for the defaults of the unset options
  // (it does so after parsing each command's arguments).
  @Option(
      names = ConfigDefaults.CONFIG_OPTION,
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "Configuration file (default: $RREDCOT_CONFIG, else $RREDCOT_HOME/rredcot.yaml when"
              + " present); flags override it. `rredcot config` shows the effective values.")
  void setConfigFile(Path file) {
    configDefaults.useFile(file);
  }

  public RredcotHome home() {
    return home;
  }

  /**
   * Writes this command's log events to {@code $RREDCOT_LOG_DIR}, else {@code $RREDCOT_HOME/logs},
   * as {@code name.log} and {@code name.jsonl}, and says where on stderr.
   */
  public Path logToFiles(String name) {
    return logToFiles(spec, CliLogs.directory(home.logsDir()), name);
  }

  /**
   * Writes the log events of {@code command} (any subcommand's spec) to {@code dir/name.log} and
   * {@code dir/name.jsonl}, and says where on its stderr.
   */
  static Path logToFiles(CommandLine.Model.CommandSpec command, Path dir, String name) {
    Path file = CliLogs.toFiles(dir, name).orElse(dir.resolve(name + ".log"));
    boolean verbose = command.root().userObject() instanceof RredcotCli cli && cli.verbose;
    PrintWriter err = command.commandLine().getErr();
    err.printf("rredcot %s: log in %s%s%n", name, file, verbose ? "" : " (--verbose: here too)");
    err.flush();
    return file;
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
    commandLine.setDefaultValueProvider(cli.configDefaults);
    // `rredcot config pipeline --bootstrap h:1`: everything after the command name is its line.
    commandLine.getSubcommands().get("config").setStopAtPositional(true);
    commandLine.setExecutionStrategy(
        parseResult -> {
          CliLogs.console(cli.verbose);
          return new CommandLine.RunLast().execute(parseResult);
        });
    // A usage error is one line (the usage itself only with --help), exit code 2.
    commandLine.setParameterExceptionHandler(
        (exception, args) -> {
          CommandLine failed = exception.getCommandLine();
          PrintWriter err = failed.getErr();
          String suggestion = "";
          if (exception instanceof CommandLine.UnmatchedArgumentException unmatched
              && !unmatched.getSuggestions().isEmpty()) {
            suggestion = " (did you mean " + unmatched.getSuggestions().get(0) + "?)";
          }
          String message = oneLine(exception) + suggestion;
          String name = failed.getCommandSpec().qualifiedName();
          err.println(
              name
                  + ": "
                  + message
                  + (message.contains(" --beam-help`") ? "" : " (`" + name + " --help`)"));
          err.flush();
          return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
    commandLine.setExecutionExceptionHandler(
        (exception, failedCommand, parseResult) -> {
          PrintWriter err = failedCommand.getErr();
          err.println("rredcot " + failedCommand.getCommandName() + ": " + oneLine(exception));
          if (exception instanceof BrokerStartException start && !start.logTail().isEmpty()) {
            err.println("last warnings and errors in " + start.logFile() + ":");
            start.logTail().forEach(line -> err.println("  " + line));
          }
          err.flush();
          // The stack trace goes to the command's log file, and with --verbose to the console.
          LOG.info("rredcot {} failed", failedCommand.getCommandName(), exception);
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
