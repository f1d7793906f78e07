package dev.rredcot.infra.kafka;

/** Lets tests in other packages see package-private facts of {@link LocalKafkaBroker}. */
public final class LocalKafkaBrokerAccess {
  private LocalKafkaBrokerAccess() {}

  /** File name of the kafka-clients jar the broker runs with; fails if the build put none. */
  public static String brokerClientsJarName() {
    return LocalKafkaBroker.brokerClientsJar()
        .orElseThrow(() -> new AssertionError("no infra/target/broker-lib/kafka-clients-*.jar"))
        .getFileName()
        .toString();
  }
}
