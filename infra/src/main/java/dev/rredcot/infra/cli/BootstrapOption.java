package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import picocli.CommandLine.Option;

/**
 * The {@code --bootstrap} option of every command that talks to Kafka; without it, the local broker
 * started by {@code rredcot up} (else {@code 127.0.0.1:9092}).
 */
public final class BootstrapOption {
  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description =
          "Kafka bootstrap servers (default: the local broker started by `rredcot up`,"
              + " else 127.0.0.1:9092).")
  String bootstrap;

  /** The explicit address, else the running local broker's, else Kafka's default port. */
  public String resolve(RredcotHome home) {
    if (bootstrap != null && !bootstrap.isBlank()) {
      return bootstrap;
    }
    return new LocalKafkaBroker(home)
        .running()
        .map(LocalKafkaBroker.RunningBroker::bootstrapServers)
        .orElse("127.0.0.1:" + LocalBrokerSettings.DEFAULT_PORT);
  }
}
