package dev.rredcot.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @TempDir Path root;

  private static final byte[] PARAMS = "pretend these are 0.1 MB of weights".getBytes();

  private static CheckpointWriter modelFiles() {
    return dir -> {
      Files.write(dir.resolve("model.params"), PARAMS);
      Files.writeString(dir.resolve("model-config.json"), "{\"layers\":2}");
      Files.createDirectories(dir.resolve("extra"));
      Files.writeString(dir.resolve("extra/notes.txt"), "nested files are covered too");
    };
  }

  private Checkpoint writeVersion(CheckpointStore store, long version) throws IOException {
    return store.write(
        version, version == 0 ? null : version - 1, Map.of("loss", 0.3), modelFiles());
  }

  @Test
  void writeThenLoadRoundTrips() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = store.write(42, 41L, Map.of("loss", 0.3, "reward", 0.75), modelFiles());

    assertEquals(root.resolve("v000000000042"), written.dir());
    assertEquals(42, written.version());
    assertEquals(41L, written.parentVersion());
    assertEquals(Map.of("loss", 0.3, "reward", 0.75), written.metrics());
    assertEquals(64, written.manifestSha256().length());
    assertArrayEquals(PARAMS, Files.readAllBytes(written.file("model.params")));
    assertEquals(written.dir().toUri(), written.uri());

    Checkpoint loaded = store.load(42);
    assertEquals(written, loaded);
    assertEquals(List.of(42L), store.versions());
    assertEquals(Optional.of(loaded), store.latest());
  }

  @Test
  void manifestListsEveryFileWithItsDigest() throws IOException {
    Checkpoint written = new CheckpointStore(root, 3).write(0, null, Map.of(), modelFiles());
    JsonNode manifest =
        new ObjectMapper().readTree(written.file(CheckpointStore.MANIFEST).toFile());
    assertEquals(0, manifest.get("version").asLong());
    assertTrue(manifest.get("parentVersion").isNull());
    assertTrue(manifest.get("createdAtMs").asLong() > 0);
    assertEquals(
        List.of("extra/notes.txt", "model-config.json", "model.params"),
        iterableToList(manifest.get("files").fieldNames()));
    assertNull(written.parentVersion());
  }

  @Test
  void nonFiniteMetricsSurviveTheRoundTrip() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    store.write(
        1, null, Map.of("loss", Double.NaN, "gradNorm", Double.POSITIVE_INFINITY), modelFiles());
    Map<String, Double> metrics = store.load(1).metrics();
    assertTrue(metrics.get("loss").isNaN());
    assertEquals(Double.POSITIVE_INFINITY, metrics.get("gradNorm"));
  }

  @Test
  void flippedByteIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    byte[] bytes = Files.readAllBytes(written.file("model.params"));
    bytes[7] ^= 0x01;
    Files.write(written.file("model.params"), bytes);

    CheckpointVerificationException e =
        assertThrows(CheckpointVerificationException.class, () -> store.load(1));
    assertTrue(e.getMessage().contains("model.params"), e.getMessage());
    assertTrue(e.getMessage().contains("expected"), e.getMessage());
    assertTrue(e.getMessage().contains("actual"), e.getMessage());
  }

  @Test
  void truncatedFileIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    try (FileChannel channel =
        FileChannel.open(written.file("model.params"), StandardOpenOption.WRITE)) {
      channel.truncate(PARAMS.length - 1);
    }
    CheckpointVerificationException e =
        assertThrows(CheckpointVerificationException.class, () -> store.load(1));
    assertTrue(e.getMessage().contains("model.params"), e.getMessage());
  }

  @Test
  void missingFileIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    Files.delete(written.file("model-config.json"));
    CheckpointVerificationException e =
        assertThrows(CheckpointVerificationException.class, () -> store.load(1));
    assertTrue(e.getMessage().contains("model-config.json"), e.getMessage());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void unlistedFileIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    Files.writeString(written.file("smuggled.bin"), "x");
    CheckpointVerificationException e =
        assertThrows(CheckpointVerificationException.class, () -> store.load(1));
    assertTrue(e.getMessage().contains("smuggled.bin"), e.getMessage());
  }

  @Test
  void unreadableManifestIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    Files.writeString(written.file(CheckpointStore.MANIFEST), "{not json");
    CheckpointVerificationException e =
        assertThrows(CheckpointVerificationException.class, () -> store.load(1));
    assertTrue(e.getMessage().contains("unreadable"), e.getMessage());
    Files.delete(written.file(CheckpointStore.MANIFEST));
    assertThrows(CheckpointVerificationException.class, () -> store.load(1));
  }

  @Test
  void tamperedManifestIsRefusedAgainstTheExpectedDigest() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint written = writeVersion(store, 1);
    // Replace the weights and rewrite the manifest consistently: only the published digest of the
    // manifest can tell.
    byte[] forged = "forged weights".getBytes(StandardCharsets.UTF_8);
    Files.write(written.file("model.params"), forged);
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest =
        (ObjectNode) json.readTree(written.file(CheckpointStore.MANIFEST).toFile());
    ((ObjectNode) manifest.get("files"))
        .put("model.params", HexFormat.of().formatHex(sha256(forged)));
    json.writeValue(written.file(CheckpointStore.MANIFEST).toFile(), manifest);

    CheckpointStore.verify(written.dir()); // self-consistent without the expected digest
    CheckpointVerificationException e =
        assertThrows(
            CheckpointVerificationException.class,
            () -> CheckpointStore.verify(written.dir(), written.manifestSha256()));
    assertTrue(e.getMessage().contains("manifest.json sha256 mismatch"), e.getMessage());
    assertEquals(
        written.version(),
        CheckpointStore.verify(
                written.dir(),
                HexFormat.of().formatHex(sha256(Files.readAllBytes(written.file("manifest.json")))))
            .version());
  }

  @Test
  void matchingExpectedManifestDigestIsAccepted() throws IOException {
    Checkpoint written = writeVersion(new CheckpointStore(root, 3), 5);
    assertEquals(
        written, CheckpointStore.verify(written.dir(), written.manifestSha256().toUpperCase()));
  }

  @Test
  void failingWriterLeavesNoVersionAndNoTempDirectory() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    writeVersion(store, 1);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                store.write(
                    2,
                    1L,
                    Map.of(),
                    dir -> {
                      Files.writeString(dir.resolve("model.params"), "half");
                      throw new IOException("disk full");
                    }));
    assertEquals("disk full", e.getMessage());
    assertEquals(List.of(1L), store.versions());
    assertEquals(List.of("v000000000001"), entries());
  }

  @Test
  void writerMayNotWriteTheManifest() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    assertThrows(
        IOException.class,
        () ->
            store.write(
                1, null, Map.of(), dir -> Files.writeString(dir.resolve("manifest.json"), "{}")));
    assertEquals(List.of(), store.versions());
    assertEquals(List.of(), entries());
  }

  @Test
  void tempDirectoriesAreNotVersions() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    writeVersion(store, 3);
    // A crashed writer leaves its temp directory behind.
    Files.createDirectories(root.resolve(".tmp-v000000000004-deadbeef"));
    Files.createDirectories(root.resolve("not-a-version"));
    assertEquals(List.of(3L), store.versions());
    assertEquals(3, store.latest().orElseThrow().version());
  }

  @Test
  void retentionKeepsTheNewestVersions() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 2);
    for (long version = 0; version < 5; version++) {
      writeVersion(store, version);
    }
    assertEquals(List.of(3L, 4L), store.versions());
    assertEquals(List.of("v000000000003", "v000000000004"), entries());
    assertThrows(NoSuchFileException.class, () -> store.load(2));
  }

  @Test
  void versionThatRetentionWouldDeleteAtOnceIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 2);
    writeVersion(store, 5);
    writeVersion(store, 6);
    assertThrows(IllegalArgumentException.class, () -> writeVersion(store, 4));
    assertEquals(List.of(5L, 6L), store.versions());
    // One newer version is fine with keepNewest 2: the new one is among the newest two.
    CheckpointStore roomy = new CheckpointStore(root.resolve("roomy"), 2);
    writeVersion(roomy, 6);
    writeVersion(roomy, 5);
    assertEquals(List.of(5L, 6L), roomy.versions());
  }

  @Test
  void secondWriteOfTheSameVersionIsRefused() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    Checkpoint first = writeVersion(store, 7);
    assertThrows(
        FileAlreadyExistsException.class,
        () ->
            store.write(
                7, 6L, Map.of(), dir -> Files.writeString(dir.resolve("model.params"), "other")));
    assertEquals(first, store.load(7));
    assertEquals(List.of("v000000000007"), entries());
  }

  @Test
  void lockIsExclusiveUntilReleased() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    try (StoreLock first = store.lock()) {
      assertEquals(root.resolve(StoreLock.FILE_NAME), first.file());
      StoreLockedException second =
          assertThrows(StoreLockedException.class, new CheckpointStore(root, 3)::lock);
      assertTrue(second.getMessage().contains("in use by another trainer"), second.getMessage());
      assertTrue(second.getMessage().contains(first.file().toString()), second.getMessage());
    }
    try (StoreLock again = store.lock()) {
      assertTrue(Files.exists(again.file()));
    }
  }

  @Test
  void deleteLeftoversRemovesOnlyWhatKilledWritesLeft() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 3);
    writeVersion(store, 0);
    Path killedWrite = Files.createDirectories(root.resolve(".tmp-v000000000001-dead"));
    Files.write(killedWrite.resolve("model.params"), PARAMS);
    Files.createDirectories(root.resolve(".tmp-delete-v000000000000-dead"));
    Files.writeString(root.resolve("notes.txt"), "not ours to delete");
    try (StoreLock lock = store.lock()) {
      assertEquals(2, store.deleteLeftovers(lock));
    }
    assertEquals(List.of(".lock", "notes.txt", "v000000000000"), entries());
    assertEquals(List.of(0L), store.versions());
  }

  @Test
  void latestVerifiedSetsCorruptVersionsAsideAndFallsBackToTheNewestGoodOne() throws IOException {
    CheckpointStore store = new CheckpointStore(root, 5);
    for (long v = 0; v <= 3; v++) {
      writeVersion(store, v);
    }
    Files.write(root.resolve("v000000000003/model.params"), "bit rot".getBytes());
    Files.delete(root.resolve("v000000000002/model-config.json"));
    // A reader skips the corrupt versions and moves nothing.
    assertEquals(1, store.newestVerified().orElseThrow().version());
    assertEquals(List.of(0L, 1L, 2L, 3L), store.versions());
    try (StoreLock lock = store.lock()) {
      Checkpoint latest = store.latestVerified(lock).orElseThrow();
      assertEquals(1, latest.version());
    }
    assertEquals(List.of(0L, 1L), store.versions());
    List<String> entries = entries();
    assertTrue(
        entries.stream().anyMatch(e -> e.startsWith("corrupt-v000000000003-")), "" + entries);
    assertTrue(
        entries.stream().anyMatch(e -> e.startsWith("corrupt-v000000000002-")), "" + entries);
    // The writer can write the set-aside version numbers again.
    assertEquals(2, writeVersion(store, 2).version());
  }

  @Test
  void latestIsEmptyForAnEmptyStore() throws IOException {
    CheckpointStore store = new CheckpointStore(root.resolve("not-yet-created"), 1);
    assertEquals(Optional.empty(), store.latest());
    assertEquals(List.of(), store.versions());
  }

  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(root, 0));
    CheckpointStore store = new CheckpointStore(root, 1);
    assertThrows(
        IllegalArgumentException.class, () -> store.write(-1, null, Map.of(), modelFiles()));
    assertThrows(
        IllegalArgumentException.class,
        () -> store.write(1_000_000_000_000L, null, Map.of(), modelFiles()));
  }

  private List<String> entries() throws IOException {
    try (Stream<Path> list = Files.list(root)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static <T> List<T> iterableToList(Iterator<T> it) {
    List<T> items = new ArrayList<>();
    it.forEachRemaining(items::add);
    return items;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void storeDirectoriesAndFilesAreOwnerOnly() throws IOException {
    Assumptions.assumeTrue(
        root.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX only");
    Path storeRoot = root.resolve("new/store");
    Checkpoint written = writeVersion(new CheckpointStore(storeRoot, 3), 1);
    for (Path dir : List.of(root.resolve("new"), storeRoot, written.dir(), written.file("extra"))) {
      assertEquals(
          "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), "" + dir);
    }
    for (String name : List.of(CheckpointStore.MANIFEST, "model.params", "extra/notes.txt")) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(written.file(name))),
          name);
    }
  }

  @Test
  void symbolicLinkInACheckpointIsRefusedEvenWhenListed() throws IOException {
    Path secret = Files.write(root.resolve("secret"), PARAMS);
    CheckpointStore store = new CheckpointStore(root.resolve("store"), 3);
    // A writer that links a file in: its digest would match, so only the link check stops it.
    CheckpointVerificationException e =
        assertThrows(
            CheckpointVerificationException.class,
            () ->
                store.write(
                    1,
                    null,
                    Map.of(),
                    dir -> Files.createSymbolicLink(dir.resolve("model.params"), secret)));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals(List.of(), store.versions(), "a refused write leaves no version");
    Checkpoint written = writeVersion(store, 2);
    Path params = written.file("model.params");
    Files.delete(params);
    Files.createSymbolicLink(params, secret);
    e = assertThrows(CheckpointVerificationException.class, () -> store.load(2));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void symbolicallyLinkedVersionDirectoryIsRefused() throws IOException {
    Checkpoint elsewhere = writeVersion(new CheckpointStore(root.resolve("elsewhere"), 3), 4);
    CheckpointStore store = new CheckpointStore(root.resolve("store"), 3);
    writeVersion(store, 1);
    Files.createSymbolicLink(
        store.root().resolve(CheckpointStore.directoryName(4)), elsewhere.dir());
    assertThrows(CheckpointVerificationException.class, () -> store.load(4));
    assertThrows(
        CheckpointVerificationException.class,
        () -> store.loadAnnounced(4, elsewhere.uri().toString(), elsewhere.manifestSha256()));
  }

  @Test
  void announcedVersionsResolveInTheStoreOnly() throws IOException {
    CheckpointStore store = new CheckpointStore(root.resolve("store"), 3);
    Checkpoint own = writeVersion(store, 1);
    Checkpoint elsewhere = writeVersion(new CheckpointStore(root.resolve("elsewhere"), 3), 9);
    assertEquals(
        own.dir(),
        store.loadAnnounced(1, elsewhere.uri().toString(), "").orElseThrow().dir(),
        "the announced location is never read");
    assertEquals(
        Optional.empty(),
        store.loadAnnounced(9, elsewhere.uri().toString(), elsewhere.manifestSha256()));
    assertEquals(Optional.empty(), store.loadAnnounced(999_999_999_999L, null, null));
    assertEquals(Optional.empty(), store.loadAnnounced(Long.MAX_VALUE, null, null));
    assertEquals(Optional.empty(), store.loadAnnounced(-1, null, null));
    assertThrows(
        CheckpointVerificationException.class,
        () -> store.loadAnnounced(1, own.uri().toString(), "0".repeat(64)));
    assertEquals(
        own.manifestSha256(),
        store
            .loadAnnounced(1, own.uri().toString(), own.manifestSha256())
            .orElseThrow()
            .manifestSha256());
  }
}
