package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.TrustedKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {
  @TempDir Path dir;

  @Test
  void generatesAnOwnerOnlyKeyAndItsPublicLineAndNeverOverwritesIt() throws Exception {
    RredcotHome home = RredcotHome.at(dir.resolve("home"));
    Path out = dir.resolve("keys");
    CliRun first = CliRun.execute(home, "keys", "generate", "--out", out.toString());
    assertEquals(0, first.exitCode(), first.toString());

    Path keyFile = out.resolve("checkpoint-signing.key");
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    CheckpointSigningKey key = CheckpointSigningKey.load(keyFile);
    assertTrue(first.out().contains(key.keyId()), first.out());
    assertEquals(
        List.of(key.publicKey()),
        TrustedKeys.fromFile(out.resolve("checkpoint-signing.key.pub")).keys());
    // The secret never reaches the console.
    String secret = Files.readAllLines(keyFile).get(1).substring("private ".length());
    assertTrue(!first.out().contains(secret) && !first.err().contains(secret));

    CliRun again = CliRun.execute(home, "keys", "generate", "--out", out.toString());
    assertEquals(2, again.exitCode(), again.toString());
    assertTrue(again.err().contains("never overwritten"), again.toString());
    assertEquals(key.keyId(), CheckpointSigningKey.load(keyFile).keyId());
  }

  @Test
  void withoutOutTheKeyGoesWhereTheTrainerAndReadersLookByDefault() throws Exception {
    RredcotHome home = RredcotHome.at(dir.resolve("home"));
    CliRun run = CliRun.execute(home, "keys", "generate");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(Files.exists(home.root().resolve("keys").resolve("checkpoint-signing.key")));
    assertTrue(Files.exists(home.root().resolve("keys").resolve("checkpoint-signing.key.pub")));
  }
}
