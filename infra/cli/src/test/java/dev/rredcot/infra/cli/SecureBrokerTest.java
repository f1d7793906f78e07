package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.kafka.KafkaAdminException;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up --secure}: a SASL_SSL (SCRAM-SHA-512) broker that the project's clients reach through
 * the client configs it writes, one per role (produce as a worker → pipeline as the credit job →
 * tail as the admin), that refuses a plaintext client and a wrong password within the clients'
 * timeouts, and whose secrets reach no log. What each role may do: {@code KafkaAclTest}.
 */
@Tag("slow")
class SecureBrokerTest {
  private static final int ROLLOUTS = 16;
  private static final Duration REFUSAL_TIMEOUT = Duration.ofSeconds(8);

  @TempDir Path tempDir;

  @AfterEach
  void stopBrokerAndForgetTheClientConfig() {
    KafkaClients.useClientConfig(KafkaClientConfig.none());
    new LocalKafkaBroker(RredcotHome.at(tempDir)).down(Duration.ofSeconds(10));
  }

  @Test
  void securedRoundTripRefusalsAndNoSecretInTheLogs() throws Exception {
    RredcotHome home = RredcotHome.at(tempDir);
    int port = LocalBrokerLifecycleTest.freePortPair();
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(new Tee(originalErr, logged), true, StandardCharsets.UTF_8));
    StringBuilder cliOutput = new StringBuilder();
    try {
      CliRun up = CliRun.execute(home, "up", "--secure", "--port", Integer.toString(port));
      cliOutput.append(up);
      assertEquals(0, up.exitCode(), up.toString());
      assertTrue(up.out().contains("SASL_SSL"), up.out());
      for (ClientRole role : ClientRole.values()) {
        Path file = home.clientPropertiesFile(role.roleName());
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            file.toString());
      }
      Path workerFile = home.clientPropertiesFile("worker");
      Path creditFile = home.clientPropertiesFile("credit");
      Path clientFile = home.clientPropertiesFile("admin");
      for (Path secret :
          List.of(
              home.kafkaPropertiesFile(),
              home.kafkaDir().resolve("security").resolve("secrets.properties"),
              home.kafkaDir().resolve("security").resolve("broker.p12"))) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)),
            secret.toString());
      }
      assertEquals(
          "rwx------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(home.root())),
          "$RREDCOT_HOME");
      Properties client = new Properties();
      try (InputStream in = Files.newInputStream(clientFile)) {
        client.load(in);
      }
      assertEquals("SASL_SSL", client.getProperty("security.protocol"));
      assertEquals("SCRAM-SHA-512", client.getProperty("sasl.mechanism"));
      String bootstrap = "127.0.0.1:" + port;

      // The round trip, each command with its role's config given explicitly as a user of another
      // home would.
      CliRun produce =
          CliRun.execute(
              home,
              "produce-rollouts",
              "--count",
              Integer.toString(ROLLOUTS),
              "--kafka-config",
              workerFile.toString());
      cliOutput.append(produce);
      assertEquals(0, produce.exitCode(), produce.toString());
      CliRun pipeline =
          CliRun.execute(
              home,
              "pipeline",
              "--kafka-config",
              creditFile.toString(),
              "--max-records",
              Integer.toString(ROLLOUTS),
              "--runner=DirectRunner",
              "--credit=grpo",
              "--group-timeout-ms=5000");
      cliOutput.append(pipeline);
      assertEquals(0, pipeline.exitCode(), pipeline.toString());
      CliRun tail =
          CliRun.execute(
              home,
              "tail",
              "credited-rollouts",
              "--count",
              Integer.toString(ROLLOUTS),
              "--kafka-config",
              clientFile.toString());
      cliOutput.append(tail);
      assertEquals(0, tail.exitCode(), tail.toString());
      assertEquals(ROLLOUTS, tail.outLines().size(), tail.toString());

      // Without credentials (plaintext on the TLS listener): refused, within the timeout.
      long start = System.nanoTime();
      KafkaAdminException plaintext =
          assertThrows(
              KafkaAdminException.class,
              () -> {
                try (TopicAdmin admin =
                    TopicAdmin.connect(bootstrap, KafkaClientConfig.none(), REFUSAL_TIMEOUT)) {
                  admin.clusterId();
                }
              });
      assertTrue(
          elapsed(start).compareTo(REFUSAL_TIMEOUT.multipliedBy(3)) < 0, "" + elapsed(start));

      // Wrong password: refused at once, with Kafka's authentication error.
      Map<String, String> wrong = new HashMap<>();
      client.stringPropertyNames().forEach(name -> wrong.put(name, client.getProperty(name)));
      wrong.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required"
              + " username=\"rredcot-admin\" password=\"not-the-password\";");
      start = System.nanoTime();
      KafkaAdminException wrongPassword =
          assertThrows(
              KafkaAdminException.class,
              () -> {
                try (TopicAdmin admin =
                    TopicAdmin.connect(
                        bootstrap, KafkaClientConfig.of(wrong, ""), REFUSAL_TIMEOUT)) {
                  admin.clusterId();
                }
              });
      assertTrue(
          elapsed(start).compareTo(REFUSAL_TIMEOUT.multipliedBy(3)) < 0, "" + elapsed(start));
      assertTrue(
          String.valueOf(wrongPassword.getMessage()).contains("Authentication failed")
              || String.valueOf(wrongPassword.getCause()).contains("Authentication failed"),
          wrongPassword + " / " + wrongPassword.getCause());
      cliOutput.append(plaintext).append(wrongPassword);
    } finally {
      System.setErr(originalErr);
    }

    Properties secrets = new Properties();
    try (InputStream in =
        Files.newInputStream(home.kafkaDir().resolve("security").resolve("secrets.properties"))) {
      secrets.load(in);
    }
    // The store password and one password per SCRAM user (the broker's and each role's).
    List<String> secretValues =
        secrets.stringPropertyNames().stream().map(secrets::getProperty).toList();
    assertEquals(ClientRole.values().length + 2, secretValues.size(), "" + secrets.keySet());
    String brokerLog = Files.readString(home.kafkaLogFile());
    assertTrue(brokerLog.contains("SASL_SSL"), "the broker log is the secured broker's");
    String clientLog = logged.toString(StandardCharsets.UTF_8);
    assertTrue(clientLog.length() > 0, "clients logged something");
    for (String secret : secretValues) {
      assertTrue(secret.length() >= 32);
      assertFalse(brokerLog.contains(secret), "a secret is in broker.log");
      assertFalse(clientLog.contains(secret), "a secret is in the clients' log");
      assertFalse(cliOutput.toString().contains(secret), "a secret is in the CLI's output");
    }
    try (Stream<Path> files = Files.walk(home.kafkaDir())) {
      for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        for (String secret : secretValues) {
          assertFalse(text.contains(secret), "a secret is in " + log);
        }
      }
    }
  }

  private static Duration elapsed(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Writes to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws java.io.IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }
  }
}
