package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --model URL}: plain http only to loopback unless allowed explicitly. */
class ServeCommandTest {
  @TempDir Path dir;

  @Test
  void plainHttpToAnotherHostIsAUsageErrorNamingTheFlag() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir), "serve", "--model", "http://10.1.2.3:8000", "--port", "0");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--allow-insecure-model-url"), run.toString());
  }

  @Test
  void plainHttpToLoopbackPassesTheRuleAndFailsOnlyForWantOfAServer() throws IOException {
    int freePort;
    try (ServerSocket socket = new ServerSocket(0)) {
      freePort = socket.getLocalPort();
    }
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir), "serve", "--model", "http://127.0.0.1:" + freePort, "--port", "0");
    assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
    assertFalse(run.err().contains("--allow-insecure-model-url"), run.toString());
  }

  @Test
  void nonPositiveLimitsAreUsageErrors() {
    CliRun run =
        CliRun.execute(
            RredcotHome.at(dir), "serve", "--model", "builtin", "--max-request-bytes", "0");
    assertEquals(2, run.exitCode(), run.toString());
  }
}
