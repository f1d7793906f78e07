package dev.rredcot.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.ShippedPolicies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignedCheckpointTest {
  @TempDir Path dir;

  private final CheckpointSigningKey trainerKey = CheckpointSigningKey.generate();
  private final CheckpointSigningKey otherKey = CheckpointSigningKey.generate();

  private Path store() {
    return dir.resolve("store");
  }

  private CheckpointTrust trustTrainer() {
    return CheckpointTrust.signedBy(TrustedKeys.of(List.of(trainerKey.publicKey())), Set.of());
  }

  private static Checkpoint write(CheckpointStore store, long version, String weights)
      throws IOException {
    return store.write(
        version,
        null,
        Map.of(),
        d -> Files.writeString(d.resolve("model.params"), weights, StandardCharsets.UTF_8));
  }

  @Test
  void loadsWhatTheTrustedKeySigned() throws IOException {
    Checkpoint written =
        write(new CheckpointStore(store(), 5).withSigner(trainerKey), 1, "trained weights");
    assertTrue(Files.exists(written.file(CheckpointTrust.SIGNATURE_FILE)));

    CheckpointStore reader = new CheckpointStore(store(), 5, trustTrainer());
    assertEquals(written.manifestSha256(), reader.load(1).manifestSha256());
    assertEquals(0, reader.untrustedRefused());
  }

  @Test
  void refusesAndCountsAnUnsignedVersion() throws IOException {
    write(new CheckpointStore(store(), 5), 1, "planted weights");

    CheckpointStore reader = new CheckpointStore(store(), 5, trustTrainer());
    UntrustedCheckpointException refused =
        assertThrows(UntrustedCheckpointException.class, () -> reader.load(1));
    assertTrue(refused.getMessage().contains("unsigned"), refused.getMessage());
    assertEquals(1, reader.untrustedRefused());
    // The older rule still reads it: only readers that ask for signatures refuse.
    new CheckpointStore(store(), 5).load(1);
  }

  @Test
  void refusesAVersionSignedByAnotherKey() throws IOException {
    write(new CheckpointStore(store(), 5).withSigner(otherKey), 1, "forged weights");

    CheckpointStore reader = new CheckpointStore(store(), 5, trustTrainer());
    UntrustedCheckpointException refused =
        assertThrows(UntrustedCheckpointException.class, () -> reader.load(1));
    assertTrue(refused.getMessage().contains(otherKey.keyId()), refused.getMessage());
    assertEquals(1, reader.untrustedRefused());
  }

  @Test
  void refusesAGenuineSignatureOverAnEditedManifest() throws IOException {
    Checkpoint signed = write(new CheckpointStore(store(), 5).withSigner(trainerKey), 1, "good");
    // The attacker rewrites the weights and the manifest's digest of them, keeping the signature.
    Files.writeString(signed.file("model.params"), "evil", StandardCharsets.UTF_8);
    Path manifest = signed.file(CheckpointStore.MANIFEST);
    String evilDigest = sha256Hex("evil");
    String text = Files.readString(manifest);
    Files.writeString(
        manifest,
        text.replaceAll(
            "\"model.params\" : \"[0-9a-f]{64}\"", "\"model.params\" : \"" + evilDigest + "\""));
    assertTrue(Files.readString(manifest).contains(evilDigest));

    CheckpointStore reader = new CheckpointStore(store(), 5, trustTrainer());
    assertThrows(UntrustedCheckpointException.class, () -> reader.load(1));
  }

  @Test
  void refusesASignedVersionCopiedUnderANewerNumber() throws IOException {
    Checkpoint signed = write(new CheckpointStore(store(), 5).withSigner(trainerKey), 1, "old");
    Path copy = store().resolve(CheckpointStore.directoryName(7));
    Files.createDirectory(copy);
    for (String name :
        List.of(CheckpointStore.MANIFEST, CheckpointTrust.SIGNATURE_FILE, "model.params")) {
      Files.copy(signed.file(name), copy.resolve(name));
    }
    CheckpointStore reader = new CheckpointStore(store(), 5, trustTrainer());
    CheckpointVerificationException refused =
        assertThrows(CheckpointVerificationException.class, () -> reader.load(7));
    assertTrue(refused.getMessage().contains("manifest says version 1"), refused.getMessage());
  }

  @Test
  void trustsTheShippedPolicyByItsPinnedDigest() throws IOException {
    Checkpoint shipped = InitialPolicy.materialise(new CheckpointStore(store(), 5));
    assertFalse(Files.exists(shipped.file(CheckpointTrust.SIGNATURE_FILE)));

    CheckpointStore reader =
        new CheckpointStore(store(), 5, ShippedPolicies.trustSignedBy(dir.resolve("absent.pub")));
    assertEquals(InitialPolicy.MANIFEST_SHA256, reader.load(0).manifestSha256());
  }

  @Test
  void restartingTrainerSetsAForgedNewerVersionAsideAndResumesFromItsOwn() throws IOException {
    CheckpointStore trainer =
        new CheckpointStore(store(), 5, ShippedPolicies.trustSignedBy(dir.resolve("trusted.pub")))
            .withSigner(trainerKey);
    write(trainer, 1, "trained");
    write(new CheckpointStore(store(), 5).withSigner(otherKey), 2, "forged");
    write(new CheckpointStore(store(), 5), 3, "unsigned");

    try (StoreLock lock = trainer.lock()) {
      assertEquals(1, trainer.latestVerified(lock).orElseThrow().version());
    }
    assertEquals(List.of(1L), trainer.versions());
    assertEquals(2, trainer.untrustedRefused());
  }

  @Test
  void trustedKeysFileIsReadAtEachCheckSoAnAddedKeyIsTrustedWithoutRestart() throws IOException {
    Path trusted = dir.resolve("trusted.pub");
    write(new CheckpointStore(store(), 5).withSigner(trainerKey), 1, "w");
    CheckpointStore reader =
        new CheckpointStore(store(), 5, ShippedPolicies.trustSignedBy(trusted));
    assertThrows(UntrustedCheckpointException.class, () -> reader.load(1));

    // Rotation: the file lists the old and the new key, one per line.
    Files.writeString(
        trusted,
        "# old key\n"
            + TrustedKeys.line(otherKey.publicKey())
            + "\n"
            + TrustedKeys.line(trainerKey.publicKey()));
    assertEquals(1, reader.load(1).version());
  }

  @Test
  void aTrustedKeysLineThatDoesNotDecodeIsAnErrorNotASilentlyDroppedKey() throws IOException {
    Path trusted = dir.resolve("trusted.pub");
    Files.writeString(trusted, "ed25519 bm90IGEga2V5 typo\n");
    IOException error = assertThrows(IOException.class, () -> TrustedKeys.fromFile(trusted).keys());
    assertTrue(error.getMessage().contains("line 1"), error.getMessage());
  }

  @Test
  void generatedKeyFileIsOwnerOnlyRoundTripsAndIsNeverOverwritten() throws IOException {
    Path keyFile = dir.resolve("keys").resolve("checkpoint-signing.key");
    CheckpointSigningKey generated = CheckpointSigningKey.generateInto(keyFile);

    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    CheckpointSigningKey loaded = CheckpointSigningKey.load(keyFile);
    assertEquals(generated.keyId(), loaded.keyId());
    assertEquals(
        List.of(generated.publicKey()),
        TrustedKeys.fromFile(CheckpointSigningKey.publicFile(keyFile)).keys());
    assertThrows(
        FileAlreadyExistsException.class, () -> CheckpointSigningKey.generateInto(keyFile));
    assertEquals(generated.keyId(), CheckpointSigningKey.loadOrGenerate(keyFile).keyId());
  }

  @Test
  void aKeyFileWhoseHalvesDoNotBelongTogetherIsRefused() throws IOException {
    Path keyFile = dir.resolve("checkpoint-signing.key");
    CheckpointSigningKey.generateInto(keyFile);
    String other = TrustedKeys.line(otherKey.publicKey()).split(" ")[1];
    List<String> lines = Files.readAllLines(keyFile);
    Files.write(
        keyFile, lines.stream().map(l -> l.startsWith("public ") ? "public " + other : l).toList());
    IOException error = assertThrows(IOException.class, () -> CheckpointSigningKey.load(keyFile));
    assertTrue(error.getMessage().contains("do not belong together"), error.getMessage());
  }

  private static String sha256Hex(String text) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
