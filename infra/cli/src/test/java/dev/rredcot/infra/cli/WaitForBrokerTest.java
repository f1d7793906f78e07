package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --wait-for-broker}: a service started before its broker waits for it and then works, as
 * under a supervisor that starts everything at once; with nothing there it gives up after the wait,
 * saying how long it waited.
 */
@Tag("slow")
class WaitForBrokerTest {
  @TempDir Path dir;

  @AfterEach
  void leaveNoBrokerBehind() {
    new LocalKafkaBroker(RredcotHome.at(dir.resolve("broker-home"))).down(Duration.ofSeconds(10));
  }

  @Test
  void aFeederStartedBeforeItsBrokerSendsOnceTheBrokerIsUp() throws Exception {
    int port = LocalBrokerLifecycleTest.freePortPair();
    String bootstrap = "127.0.0.1:" + port;
    CompletableFuture<CliRun> feeder =
        CompletableFuture.supplyAsync(
            () ->
                CliRun.execute(
                    RredcotHome.at(dir.resolve("home")),
                    "feeder",
                    "--bootstrap",
                    bootstrap,
                    "--wait-for-broker",
                    "120",
                    "--count",
                    "3",
                    "--rate",
                    "10"));
    Thread.sleep(3_000);
    assertTrue(!feeder.isDone(), "the feeder waits: " + (feeder.isDone() ? feeder.get() : ""));
    new LocalKafkaBroker(RredcotHome.at(dir.resolve("broker-home")))
        .up(LocalBrokerSettings.builder().optPort(port).optControllerPort(port + 1).build());
    CliRun run = feeder.get(120, TimeUnit.SECONDS);
    assertEquals(0, run.exitCode(), run.toString());
  }

  @Test
  void withNothingThereItGivesUpAfterTheWaitAndSaysSo() throws Exception {
    int port = LocalBrokerLifecycleTest.freePortPair();
    long start = System.nanoTime();
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir.resolve("home")),
            "feeder",
            "--bootstrap",
            "127.0.0.1:" + port,
            "--wait-for-broker",
            "3");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
    assertTrue(run.err().contains("no Kafka broker listens at 127.0.0.1:" + port), run.toString());
    assertTrue(run.err().contains("(waited 3 s)"), run.toString());
    assertTrue(took.compareTo(Duration.ofSeconds(3)) >= 0, "took " + took);
  }

  @Test
  void aNegativeWaitIsAUsageError() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir.resolve("home")),
            "feeder",
            "--bootstrap",
            "127.0.0.1:1",
            "--wait-for-broker",
            "-1");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, run.exitCode(), run.toString());
    assertTrue(
        run.err().contains("--wait-for-broker must be >= 0 seconds, got -1.0"), run.toString());
  }
}
