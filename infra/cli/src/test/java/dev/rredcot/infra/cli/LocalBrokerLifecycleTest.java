package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** up, status and down of the child-process broker against a temporary $RREDCOT_HOME. */
@Tag("slow")
class LocalBrokerLifecycleTest {
  @TempDir Path tempDir;

  @AfterEach
  void leaveNoBrokerBehind() {
    // A failing assertion must not leak a broker process into the rest of the build.
    new LocalKafkaBroker(RredcotHome.at(tempDir)).down(java.time.Duration.ofSeconds(10));
    brokerProcessesOf(tempDir).forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void upStatusSecondUpAndDownLeaveNoProcessBehind() throws Exception {
    RredcotHome home = RredcotHome.at(tempDir);
    int port = freePortPair();

    CliRun up = CliRun.execute(home, "up", "--port", Integer.toString(port), "--partitions", "3");
    assertEquals(0, up.exitCode(), up.toString());
    assertTrue(up.out().contains("Kafka broker up at 127.0.0.1:" + port), up.out());
    long pid = new LocalKafkaBroker(home).running().orElseThrow().pid();
    assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

    CliRun status = CliRun.execute(home, "status");
    assertEquals(0, status.exitCode(), status.toString());
    assertTrue(status.out().contains("running, pid " + pid), status.out());
    for (String topic : Topics.ALL) {
      assertTrue(
          status.outLines().stream().anyMatch(line -> line.matches(topic + "\\s+3\\s+.*")),
          status.out());
    }

    CliRun again = CliRun.execute(home, "up", "--port", Integer.toString(port));
    assertEquals(0, again.exitCode(), again.toString());
    assertTrue(again.out().startsWith("already running at 127.0.0.1:" + port), again.out());

    CliRun down = CliRun.execute(home, "down");
    assertEquals(0, down.exitCode(), down.toString());
    assertTrue(down.out().contains("pid " + pid + " stopped"), down.out());
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    assertFalse(Files.exists(home.kafkaPidFile()));

    CliRun after = CliRun.execute(home, "status");
    assertEquals(0, after.exitCode(), after.toString());
    assertTrue(after.out().contains("not running"), after.out());
  }

  @Test
  void upOnATakenPortFailsWithTheBrokerLogTailAndLeavesNoProcess() throws Exception {
    RredcotHome home = RredcotHome.at(tempDir);
    int port = freePortPair();
    try (ServerSocket squatter = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      CliRun up = CliRun.execute(home, "up", "--port", Integer.toString(port));

      assertEquals(1, up.exitCode(), up.toString());
      List<String> err = up.err().lines().toList();
      assertEquals(
          "rredcot up: cannot start the broker: 127.0.0.1:"
              + port
              + " is already in use (choose another --port or --controller-port)",
          err.get(0));
      assertTrue(
          err.get(1).startsWith("last warnings and errors in " + home.kafkaLogFile()), up.err());
      assertTrue(err.stream().anyMatch(line -> line.contains("Address already in use")), up.err());
      assertTrue(err.size() <= 2 + 20, up.err());
    }
    assertFalse(Files.exists(home.kafkaPidFile()));
    assertEquals(List.of(), brokerProcessesOf(tempDir));
  }

  private static List<ProcessHandle> brokerProcessesOf(Path home) {
    String marker = "-Drredcot.home=" + home.toAbsolutePath().normalize();
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(
            process ->
                process
                    .info()
                    .arguments()
                    .map(arguments -> Arrays.asList(arguments).contains(marker))
                    .orElse(false))
        .toList();
  }

  /** A port p such that p and p + 1 (the controller port) are both free now. */
  static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      if (port >= 65535) {
        continue;
      }
      try (ServerSocket first = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
          ServerSocket second = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException e) {
        // p + 1 is taken: try another p.
      }
    }
    throw new IOException("no free pair of adjacent loopback ports");
  }
}
