package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.LocalKafkaBroker;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot down}: stops the local broker (SIGTERM, then SIGKILL after a bound). */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description =
        "Stop the local Kafka broker: SIGTERM, then SIGKILL if it has not exited in time."
            + " Topic data stays in $RREDCOT_HOME/kafka/data.")
final class DownCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Option(
      names = "--timeout-ms",
      defaultValue = "30000",
      description = "How long to wait after SIGTERM before SIGKILL (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    LocalKafkaBroker.DownResult result =
        new LocalKafkaBroker(cli.home()).down(Duration.ofMillis(timeoutMs));
    if (result.stoppedPid().isEmpty()) {
      out.println("Kafka broker: not running");
    } else {
      out.printf(
          "Kafka broker pid %d stopped%s%n",
          result.stoppedPid().get(), result.killed() ? " (SIGKILL after timeout)" : "");
    }
    out.flush();
    return 0;
  }
}
