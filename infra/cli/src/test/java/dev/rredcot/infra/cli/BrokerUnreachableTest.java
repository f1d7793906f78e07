package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every command that needs the broker fails within seconds, with one line saying what to do, when
 * nothing listens at its bootstrap address; the stack trace goes to the command's log file only.
 */
@Tag("slow")
class BrokerUnreachableTest {
  // Nothing listens: the check fails at once. The rest is the command's own start: the first
  // command of the JVM loads Beam's classes, seconds on a machine busy with other builds.
  private static final Duration IN_PROCESS_BOUND = Duration.ofSeconds(20);
  // A child JVM also loads the CLI's classes and Beam's options first.
  private static final Duration PROCESS_BOUND = Duration.ofSeconds(40);

  @TempDir Path dir;
  private String closedPort;

  @BeforeEach
  void findAClosedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = "127.0.0.1:" + socket.getLocalPort();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "pipeline",
        "replay",
        "produce-rollouts",
        "tail",
        "trainer",
        "worker",
        "feeder",
        "demo"
      })
  void failsFastWithOneLine(String command) throws Exception {
    List<String> args =
        switch (command) {
          case "replay" ->
              List.of("replay", "--from", "0:0", "--to", "0:8", "--out", "again", "--bootstrap");
          case "produce-rollouts" -> List.of("produce-rollouts", "--count", "8", "--bootstrap");
          case "tail" -> List.of("tail", "rollouts", "--bootstrap");
          case "demo" -> List.of("demo", "--out", dir.resolve("run").toString(), "--bootstrap");
          default -> List.of(command, "--bootstrap");
        };
    long start = System.nanoTime();
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir.resolve("home")),
            java.util.stream.Stream.concat(args.stream(), java.util.stream.Stream.of(closedPort))
                .toArray(String[]::new));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
    assertTrue(took.compareTo(IN_PROCESS_BOUND) < 0, "took " + took + "\n" + run);
    List<String> failures =
        run.err().lines().filter(line -> line.startsWith("rredcot " + command + ": no")).toList();
    assertEquals(1, failures.size(), run.toString());
    assertTrue(
        failures.get(0).contains("no Kafka broker listens at " + closedPort)
            && failures.get(0).contains("rredcot up"),
        failures.get(0));
    assertFalse(run.err().contains("\tat "), "no stack trace on the console:\n" + run);
    assertFalse(run.out().contains("\tat "), "no stack trace on the console:\n" + run);
    Path logFile =
        switch (command) {
          case "demo" -> dir.resolve("run").resolve("logs").resolve("demo.log");
          case "replay", "produce-rollouts", "tail" -> null; // short commands: no log file
          default -> dir.resolve("home").resolve("logs").resolve(command + ".log");
        };
    if (logFile != null) {
      String log = Files.readString(logFile);
      assertTrue(log.contains("KafkaAdminException") && log.contains("\tat "), log);
    }
  }

  @Test
  void somethingThatListensButNeverAnswersFailsAfterTheAnswerTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + silent.getLocalPort();
      long start = System.nanoTime();
      CliRun run =
          CliRun.execute(
              RredcotHome.at(dir.resolve("home")),
              "produce-rollouts",
              "--count",
              "8",
              "--bootstrap",
              address);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
      assertTrue(
          run.err().contains("no Kafka broker answers at " + address + " within 20 s"),
          run.toString());
      assertTrue(took.compareTo(BootstrapOption.ANSWER_TIMEOUT) >= 0, "took " + took);
      assertTrue(
          took.compareTo(BootstrapOption.ANSWER_TIMEOUT.plus(IN_PROCESS_BOUND)) < 0,
          "took " + took);
    }
  }

  @Test
  void pipelineAsAProcessExitsWithinSecondsWithoutAStackTrace() throws Exception {
    long start = System.nanoTime();
    try (CliProcess pipeline =
        CliProcess.start(
            dir.resolve("home"),
            dir.resolve("pipeline.out"),
            "pipeline",
            "--bootstrap",
            closedPort)) {
      int exit = pipeline.waitForExit(Duration.ofSeconds(120));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String output = pipeline.output();
      assertEquals(RredcotCli.EXIT_FAILURE, exit, output);
      assertTrue(took.compareTo(PROCESS_BOUND) < 0, "took " + took + "\n" + output);
      assertFalse(output.contains("\tat "), output);
      assertTrue(output.contains("rredcot pipeline: no Kafka broker listens at"), output);
      assertTrue(output.lines().count() <= 3, output);
    }
  }
}
