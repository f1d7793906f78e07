package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.KafkaAdminException;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot status}: whether the local broker runs, and its topics with end offsets. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Show whether the local Kafka broker runs (pid, bootstrap address) and each topic's"
            + " partitions and end offsets.")
final class StatusCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Option(
      names = "--timeout-ms",
      defaultValue = "5000",
      description = "Bound on each broker request (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    LocalKafkaBroker local = new LocalKafkaBroker(cli.home());
    Optional<LocalKafkaBroker.RunningBroker> running = local.running();
    if (running.isEmpty()) {
      out.printf("Kafka broker: not running (home %s)%n", cli.home());
      out.flush();
      return 0;
    }
    LocalKafkaBroker.RunningBroker broker = running.get();
    out.printf(
        "Kafka broker: running, pid %d, bootstrap %s%s (home %s)%n",
        broker.pid(),
        broker.bootstrapServers(),
        broker.secure()
            ? ", SASL_SSL (client config " + cli.home().clientPropertiesFile() + ")"
            : "",
        cli.home());
    try (TopicAdmin admin =
        TopicAdmin.connect(
            broker.bootstrapServers(),
            local.runningClientConfig().orElseThrow(),
            Duration.ofMillis(timeoutMs))) {
      var topics = admin.listTopics();
      if (topics.isEmpty()) {
        out.println("no topics");
      } else {
        out.printf("%-20s %10s  %s%n", "topic", "partitions", "end offsets");
        for (TopicAdmin.TopicSummary topic : admin.describe(topics)) {
          out.printf(
              "%-20s %10d  %s (total %d)%n",
              topic.name(), topic.partitions(), topic.endOffsets(), topic.totalEndOffset());
        }
      }
    } catch (KafkaAdminException e) {
      out.flush();
      throw new KafkaAdminException(
          "broker pid " + broker.pid() + " runs but does not answer: " + e.getMessage(), e);
    }
    out.flush();
    return 0;
  }
}
