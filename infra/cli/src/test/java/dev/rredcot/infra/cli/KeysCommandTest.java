package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.checkpoint.TrustedKeys;
import dev.rredcot.model.pretrain.ShippedPolicies;
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

  @Test
  void signStoreAdoptsUnsignedVersionsThatMatchTheirManifestAndNoOthers() throws Exception {
    RredcotHome home = RredcotHome.at(dir.resolve("home"));
    assertEquals(0, CliRun.execute(home, "keys", "generate").exitCode());
    Path root = home.checkpointsDir();
    CheckpointStore unsigned = new CheckpointStore(root, 10);
    for (long version = 1; version <= 3; version++) {
      long v = version;
      unsigned.write(
          v, null, java.util.Map.of(), d -> Files.writeString(d.resolve("w.bin"), "w" + v));
    }
    // v3 was changed after it was written: it must not become trusted.
    Files.writeString(root.resolve(CheckpointStore.directoryName(3)).resolve("w.bin"), "evil");

    CliRun run = CliRun.execute(home, "keys", "sign-store");
    assertEquals(RredcotCli.EXIT_FAILURE, run.exitCode(), run.toString());
    assertTrue(run.out().contains("signed 2 of 3 versions"), run.toString());
    CheckpointStore reader =
        new CheckpointStore(
            root,
            10,
            ShippedPolicies.trustSignedBy(home.root().resolve("keys/checkpoint-signing.key.pub")));
    assertEquals(1, reader.load(1).version());
    assertEquals(2, reader.load(2).version());
    assertThrows(CheckpointVerificationException.class, () -> reader.load(3));
    // Leftovers of the signing never stay in the store.
    try (var entries = Files.list(root)) {
      assertTrue(entries.noneMatch(e -> e.getFileName().toString().startsWith(".tmp-")));
    }
  }
}
