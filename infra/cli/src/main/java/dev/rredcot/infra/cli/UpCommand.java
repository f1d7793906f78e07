package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot up}: starts the local Kafka broker and creates the project's topics. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start a single-node Kafka broker (KRaft) on 127.0.0.1 as a background process and create"
          + " the topics prompts, rollouts, credited-rollouts, checkpoints and dead-letters.",
      "State (data, broker.log, broker.pid) lives under $RREDCOT_HOME/kafka.",
      "With --secure both listeners are SASL_SSL (certificates made on first start) and refuse"
          + " unauthenticated clients; clients log in with SCRAM-SHA-512, one user per role"
          + " (feeder, worker, credit, trainer, admin), and ACLs allow each role only its own"
          + " topics and consumer group. Each role's client config is written to"
          + " $RREDCOT_HOME/client-<role>.properties (mode 0600); each command uses its role's."
    })
final class UpCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Broker port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "-1",
      description = "KRaft controller port (default: --port + 1).")
  int controllerPort;

  @Option(
      names = "--partitions",
      defaultValue = "2",
      description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--retention-ms",
      defaultValue = "0",
      description = "Topic retention in ms (default: the broker's, 7 days).")
  long retentionMs;

  @Option(
      names = "--start-timeout-ms",
      defaultValue = "90000",
      description = "How long to wait for the broker to serve (default: ${DEFAULT-VALUE}).")
  long startTimeoutMs;

  @Option(
      names = "--secure",
      description =
          "SASL_SSL on both listeners, one SCRAM-SHA-512 user per role and ACLs, instead of"
              + " plaintext.")
  boolean secure;

  @Override
  public Integer call() {
    LocalBrokerSettings settings =
        LocalBrokerSettings.builder()
            .optPort(port)
            .optControllerPort(controllerPort)
            .optPartitions(partitions)
            .optRetentionMs(retentionMs)
            .optStartTimeout(Duration.ofMillis(startTimeoutMs))
            .optSecure(secure)
            .build();
    PrintWriter out = spec.commandLine().getOut();
    LocalKafkaBroker broker = new LocalKafkaBroker(cli.home());
    LocalKafkaBroker.UpResult result = broker.up(settings);
    if (result.alreadyRunning()) {
      out.printf(
          "already running at %s (pid %d)%n",
          result.broker().bootstrapServers(), result.broker().pid());
    } else {
      out.printf(
          "Kafka broker up at %s (pid %d, log %s)%n",
          result.broker().bootstrapServers(), result.broker().pid(), cli.home().kafkaLogFile());
    }
    if (result.broker().secure()) {
      out.printf(
          "client listener: SASL_SSL (SCRAM-SHA-512, TLS), ACLs per role; client configs %s%n",
          cli.home().clientPropertiesFile("<role>"));
      out.printf(
          "  roles: %s%n",
          Arrays.stream(ClientRole.values())
              .map(role -> role.roleName() + " (" + role.userName() + ")")
              .collect(Collectors.joining(", ")));
    }
    if (!result.createdTopics().isEmpty()) {
      out.printf(
          "created topics %s with %d partitions%n",
          String.join(", ", result.createdTopics()), settings.partitions());
    }
    out.flush();
    return 0;
  }
}
