package dev.rredcot.model.checkpoint;

import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directory of policy checkpoints, one sub-directory per version ({@code <root>/v000000000042/}),
 * each written atomically with a {@code manifest.json} of SHA-256 digests and verified on load.
 *
 * <p>A write goes to a hidden temp directory ({@code .tmp-...}), fsyncs every file, writes and
 * fsyncs the manifest and renames the directory into place atomically, so readers see either no
 * version or a complete one. Then versions beyond the newest {@code keepNewest} are deleted.
 *
 * <p>One writer at a time: a trainer holds {@link #lock()} while it writes, and on start removes
 * what killed writes left behind ({@link #deleteLeftovers}) and moves corrupt newest versions aside
 * ({@link #latestVerified}). Readers need no lock: they only ever see complete versions.
 *
 * <p>The store is created owner-only (0700 directories, 0600 files where the file system has POSIX
 * permissions). A checkpoint that holds a symbolic link anywhere does not verify. Readers told
 * about a version by an announcement resolve it here only ({@link #loadAnnounced}): the
 * announcement is a hint, never a path to follow.
 *
 * <p>Which checkpoints may be loaded at all is the store's {@link CheckpointTrust}, applied in
 * {@link #load} (and so in every read of a version): by default a checkpoint that matches its
 * manifest; for the trainer, the rollout workers and the value stage, one whose manifest the
 * trainer signed ({@link #withSigner}) or a shipped policy. Untrusted versions are refused with
 * {@link UntrustedCheckpointException}, counted in {@link #untrustedRefused()} and logged.
 */
public final class CheckpointStore {

  /** Name of the manifest file in every checkpoint directory. */
  public static final String MANIFEST = "manifest.json";

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final Pattern VERSION_DIR = Pattern.compile("v(\\d{12})");
  private static final String TEMP_PREFIX = ".tmp-";
  private static final String CORRUPT_PREFIX = "corrupt-";
  private static final long MAX_VERSION = 999_999_999_999L;

  private final Path root;
  private final int keepNewest;
  private final CheckpointTrust trust;
  private final CheckpointSigningKey signer;
  private final AtomicLong untrustedRefused = new AtomicLong();

  /**
   * Creates a store rooted at {@code root} (created on first write) that keeps the newest {@code
   * keepNewest} versions.
   */
  public CheckpointStore(Path root, int keepNewest) {
    this(root, keepNewest, CheckpointTrust.digestsOnly(), null);
  }

  /**
   * Creates a store that loads only the checkpoints {@code trust} accepts.
   *
   * @see #CheckpointStore(Path, int)
   */
  public CheckpointStore(Path root, int keepNewest, CheckpointTrust trust) {
    this(root, keepNewest, trust, null);
  }

  private CheckpointStore(
      Path root, int keepNewest, CheckpointTrust trust, CheckpointSigningKey signer) {
    if (keepNewest < 1) {
      throw new IllegalArgumentException("keepNewest must be >= 1, got " + keepNewest);
    }
    this.root = Objects.requireNonNull(root, "root");
    this.keepNewest = keepNewest;
    this.trust = Objects.requireNonNull(trust, "trust");
    this.signer = signer;
  }

  /**
   * This store, signing every manifest it writes with {@code key} and trusting that key when it
   * loads (what a trainer writes, it must be able to resume from).
   */
  public CheckpointStore withSigner(CheckpointSigningKey key) {
    Objects.requireNonNull(key, "key");
    return new CheckpointStore(root, keepNewest, trust.plus(key.publicKey()), key);
  }

  /** What this store trusts. */
  public CheckpointTrust trust() {
    return trust;
  }

  /** Versions refused by this store instance because they were unsigned or forged. */
  public long untrustedRefused() {
    return untrustedRefused.get();
  }

  /** The root directory. */
  public Path root() {
    return root;
  }

  /** Directory name of a version, e.g. {@code v000000000042}. */
  public static String directoryName(long version) {
    checkVersion(version);
    return String.format("v%012d", version);
  }

  /**
   * Writes a new checkpoint for {@code version}.
   *
   * @param version the new version, 0..999999999999; must not exist yet
   * @param parentVersion the version it was trained from, or null
   * @param metrics metrics to record (non-finite values are stored as strings "NaN", "Infinity")
   * @param writer writes the caller's files into the (temporary) checkpoint directory
   * @return the verified checkpoint in its final place
   * @throws FileAlreadyExistsException if the version exists
   * @throws IllegalArgumentException if {@code keepNewest} newer versions exist already
   * @throws IOException if writing fails; the temp directory is then removed
   */
  public Checkpoint write(
      long version, Long parentVersion, Map<String, Double> metrics, CheckpointWriter writer)
      throws IOException {
    checkVersion(version);
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(writer, "writer");
    Path target = root.resolve(directoryName(version));
    if (Files.exists(target)) {
      throw new FileAlreadyExistsException(
          target.toString(), null, "checkpoint version " + version + " already exists");
    }
    long newerVersions = versions().stream().filter(v -> v > version).count();
    if (newerVersions >= keepNewest) {
      throw new IllegalArgumentException(
          "version "
              + version
              + " is older than the newest "
              + keepNewest
              + " kept versions; retention would delete it at once");
    }
    OwnerOnlyFiles.createDirectories(root);
    Path temp = root.resolve(TEMP_PREFIX + directoryName(version) + "-" + UUID.randomUUID());
    OwnerOnlyFiles.createDirectory(temp);
    try {
      writer.writeFiles(temp);
      if (Files.exists(temp.resolve(MANIFEST))
          || Files.exists(temp.resolve(CheckpointTrust.SIGNATURE_FILE))) {
        throw new IOException(
            "the checkpoint writer must not write "
                + MANIFEST
                + " or "
                + CheckpointTrust.SIGNATURE_FILE);
      }
      StoreFiles.refuseLinks(temp);
      try (Stream<Path> walk = Files.walk(temp)) {
        for (Path written : walk.toList()) {
          OwnerOnlyFiles.restrict(written);
        }
      }
      Map<String, String> digests = new TreeMap<>();
      for (Path file : StoreFiles.listFiles(temp)) {
        digests.put(StoreFiles.relativeName(temp, file), StoreFiles.sha256AndSync(file));
      }
      long createdAtMs = System.currentTimeMillis();
      byte[] manifest =
          CheckpointManifest.bytes(version, parentVersion, createdAtMs, digests, metrics);
      StoreFiles.writeSynced(temp.resolve(MANIFEST), manifest, temp);
      if (signer != null) {
        StoreFiles.writeSynced(
            temp.resolve(CheckpointTrust.SIGNATURE_FILE),
            CheckpointTrust.signatureFile(signer, manifest),
            temp);
      }
      StoreFiles.syncDirectories(temp);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      syncDirectory(root);
    } catch (IOException | RuntimeException | Error e) {
      StoreFiles.deleteRecursively(temp);
      throw e;
    }
    LOG.info(
        "wrote checkpoint {} ({} files{})",
        target,
        StoreFiles.listFiles(target).size() - 1,
        signer == null ? "" : ", signed by key " + signer.keyId());
    Checkpoint written = verify(target, null, trust);
    enforceRetention();
    return written;
  }

  /**
   * Loads and verifies {@code version}.
   *
   * @throws NoSuchFileException if the version does not exist
   * @throws CheckpointVerificationException if it does not match its manifest
   */
  public Checkpoint load(long version) throws IOException {
    Path dir = root.resolve(directoryName(version));
    if (Files.isSymbolicLink(dir)) {
      throw new CheckpointVerificationException(dir + " is a symbolic link, not a checkpoint");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(dir.toString(), null, "no checkpoint version " + version);
    }
    Checkpoint checkpoint;
    try {
      checkpoint = verify(dir, null, trust);
    } catch (UntrustedCheckpointException e) {
      untrustedRefused.incrementAndGet();
      LOG.error("refusing checkpoint v{}: {}", version, e.getMessage());
      throw e;
    }
    if (checkpoint.version() != version) {
      throw new CheckpointVerificationException(
          dir + ": manifest says version " + checkpoint.version() + ", directory says " + version);
    }
    return checkpoint;
  }

  /**
   * Resolves a version named by a {@code checkpoints} announcement inside this store, never at the
   * location the announcement gives: the announced URI is only compared, and the digest that counts
   * is this store's manifest's. A version the store does not hold (not written here, deleted by
   * retention, or beyond the newest) is not waited for.
   *
   * @param version the announced version
   * @param announcedUri the announced location (may be null or empty); a mismatch is logged only
   * @param announcedManifestSha256 the announced manifest digest (may be null or empty)
   * @return the verified checkpoint, or empty when this store does not hold {@code version}
   * @throws CheckpointVerificationException when the store's copy does not verify, holds a link, or
   *     its manifest digest differs from the announced one
   */
  public Optional<Checkpoint> loadAnnounced(
      long version, String announcedUri, String announcedManifestSha256) throws IOException {
    if (version < 0 || version > MAX_VERSION) {
      return Optional.empty();
    }
    Path dir = root.resolve(directoryName(version));
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    Checkpoint checkpoint;
    try {
      checkpoint = load(version);
    } catch (NoSuchFileException e) {
      return Optional.empty(); // deleted by retention between the check and the load
    }
    if (announcedManifestSha256 != null
        && !announcedManifestSha256.isEmpty()
        && !announcedManifestSha256.equalsIgnoreCase(checkpoint.manifestSha256())) {
      throw new CheckpointVerificationException(
          "announced version "
              + version
              + " has manifest sha256 "
              + announcedManifestSha256
              + " but "
              + dir
              + " has "
              + checkpoint.manifestSha256()
              + "; refusing the announcement");
    }
    if (announcedUri != null && !announcedUri.isEmpty() && !namesThisStore(announcedUri, dir)) {
      LOG.warn(
          "announcement of v{} names {}, not this store; loaded {} instead",
          version,
          announcedUri,
          dir);
    }
    return Optional.of(checkpoint);
  }

  private static boolean namesThisStore(String uri, Path dir) {
    try {
      return Path.of(java.net.URI.create(uri))
          .toAbsolutePath()
          .normalize()
          .equals(dir.toAbsolutePath().normalize());
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      return false;
    }
  }

  /** The newest verified checkpoint, if any version exists. */
  public Optional<Checkpoint> latest() throws IOException {
    List<Long> versions = versions();
    if (versions.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(load(versions.get(versions.size() - 1)));
  }

  /**
   * Signs version {@code version} with {@code key} when it is unsigned: the operator's explicit act
   * of adopting a store written before checkpoints were signed. The version must match its manifest
   * (digests, no links) first; a version that is already signed is left as it is.
   *
   * @return true when a signature was written
   * @throws CheckpointVerificationException when the version does not match its manifest
   */
  public boolean signUnsigned(long version, CheckpointSigningKey key, StoreLock lock)
      throws IOException {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lock, "lock");
    Path dir = root.resolve(directoryName(version));
    Checkpoint checkpoint = verify(dir, null, CheckpointTrust.digestsOnly());
    if (checkpoint.version() != version) {
      throw new CheckpointVerificationException(
          dir + ": manifest says version " + checkpoint.version() + ", directory says " + version);
    }
    Path signature = dir.resolve(CheckpointTrust.SIGNATURE_FILE);
    if (Files.exists(signature, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    byte[] manifest = Files.readAllBytes(dir.resolve(MANIFEST));
    // The digest read now must be the one verified above, or the files changed in between.
    if (!HexFormat.of()
        .formatHex(StoreFiles.sha256().digest(manifest))
        .equals(checkpoint.manifestSha256())) {
      throw new CheckpointVerificationException(dir + ": " + MANIFEST + " changed while signing");
    }
    // Written beside the versions, not in one: a kill midway leaves a .tmp-* leftover that
    // deleteLeftovers removes, never an unlisted file that would fail the version's verification.
    Path temp = root.resolve(TEMP_PREFIX + "sig-" + dir.getFileName() + "-" + UUID.randomUUID());
    StoreFiles.writeSynced(temp, CheckpointTrust.signatureFile(key, manifest), root);
    Files.move(temp, signature, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(dir);
    LOG.info("signed existing checkpoint {} with key {}", dir, key.keyId());
    return true;
  }

  /**
   * Takes the store's exclusive writer lock without waiting; hold it for as long as this process
   * writes versions.
   *
   * @throws StoreLockedException when another writer holds it
   */
  public StoreLock lock() throws IOException {
    return StoreLock.acquire(root);
  }

  /**
   * Deletes the {@code .tmp-*} entries that writes and retention deletions killed midway left in
   * the root; call only while holding {@link #lock()} (a running writer's temp entries look the
   * same).
   *
   * @return how many entries were deleted
   */
  public int deleteLeftovers(StoreLock lock) throws IOException {
    Objects.requireNonNull(lock, "lock");
    if (!Files.isDirectory(root)) {
      return 0;
    }
    List<Path> leftovers;
    try (Stream<Path> entries = Files.list(root)) {
      leftovers = entries.filter(e -> e.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
    }
    for (Path leftover : leftovers) {
      LOG.warn("deleting {}, left by a write that did not finish", leftover);
      StoreFiles.deleteRecursively(leftover);
    }
    if (!leftovers.isEmpty()) {
      syncDirectory(root);
    }
    return leftovers.size();
  }

  /**
   * The newest version that verifies. Newer versions that do not verify (a disk error, a file
   * changed by hand) are renamed to {@code corrupt-<dir>-<millis>} beside them, logged and kept for
   * inspection, so that the writer can write their version numbers again. Call only while holding
   * {@link #lock()}.
   */
  public Optional<Checkpoint> latestVerified(StoreLock lock) throws IOException {
    Objects.requireNonNull(lock, "lock");
    List<Long> versions = versions();
    for (int i = versions.size() - 1; i >= 0; i--) {
      long version = versions.get(i);
      try {
        return Optional.of(load(version));
      } catch (CheckpointVerificationException e) {
        Path dir = root.resolve(directoryName(version));
        Path aside =
            root.resolve(CORRUPT_PREFIX + dir.getFileName() + "-" + System.currentTimeMillis());
        Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(root);
        LOG.error(
            "checkpoint v{} does not verify ({}); moved it to {} and falling back to an older"
                + " version",
            version,
            e.getMessage(),
            aside);
      }
    }
    return Optional.empty();
  }

  /**
   * The newest version that verifies, skipping (and logging) newer ones that do not; for readers
   * such as a starting rollout worker, which must not move anything (the writer sets corrupt
   * versions aside, see {@link #latestVerified}).
   */
  public Optional<Checkpoint> newestVerified() throws IOException {
    List<Long> versions = versions();
    for (int i = versions.size() - 1; i >= 0; i--) {
      try {
        return Optional.of(load(versions.get(i)));
      } catch (CheckpointVerificationException e) {
        LOG.error("skipping checkpoint v{}: {}", versions.get(i), e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Existing versions in ascending order; temp directories and other entries are ignored. */
  public List<Long> versions() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<Long> versions = new ArrayList<>();
    try (Stream<Path> entries = Files.list(root)) {
      for (Iterator<Path> it = entries.iterator(); it.hasNext(); ) {
        Path entry = it.next();
        Matcher m = VERSION_DIR.matcher(entry.getFileName().toString());
        if (m.matches() && Files.isDirectory(entry)) {
          versions.add(Long.parseLong(m.group(1)));
        }
      }
    }
    versions.sort(Comparator.naturalOrder());
    return versions;
  }

  /**
   * Verifies a checkpoint directory against its manifest.
   *
   * @throws CheckpointVerificationException on an unreadable manifest, a missing, changed or
   *     unlisted file
   */
  public static Checkpoint verify(Path dir) throws IOException {
    return verify(dir, null);
  }

  /**
   * Verifies a checkpoint directory against its manifest and the manifest against {@code
   * expectedManifestSha256} (hex, as published with the checkpoint).
   *
   * @throws CheckpointVerificationException on a manifest digest mismatch, an unreadable manifest,
   *     a missing, changed or unlisted file
   */
  public static Checkpoint verify(Path dir, String expectedManifestSha256) throws IOException {
    return verify(dir, expectedManifestSha256, CheckpointTrust.digestsOnly());
  }

  private static Checkpoint verify(Path dir, String expectedManifestSha256, CheckpointTrust trust)
      throws IOException {
    StoreFiles.refuseLinks(dir);
    Path manifestFile = dir.resolve(MANIFEST);
    byte[] manifestBytes;
    try {
      manifestBytes = Files.readAllBytes(manifestFile);
    } catch (IOException e) {
      throw new CheckpointVerificationException(
          dir + ": cannot read " + MANIFEST + " (" + e + ")", e);
    }
    String manifestSha256 = HexFormat.of().formatHex(StoreFiles.sha256().digest(manifestBytes));
    if (expectedManifestSha256 != null
        && !expectedManifestSha256.equalsIgnoreCase(manifestSha256)) {
      throw new CheckpointVerificationException(
          dir
              + ": "
              + MANIFEST
              + " sha256 mismatch: expected "
              + expectedManifestSha256
              + ", actual "
              + manifestSha256);
    }
    // Before anything in the manifest is believed: only trusted manifests name files to read.
    trust.check(dir, manifestBytes, manifestSha256);
    CheckpointManifest manifest = CheckpointManifest.parse(dir, manifestBytes);
    for (Map.Entry<String, String> entry : manifest.files().entrySet()) {
      String name = entry.getKey();
      Path file = dir.resolve(name).normalize();
      if (!file.startsWith(dir.normalize()) || name.equals(MANIFEST)) {
        throw new CheckpointVerificationException(
            dir + ": " + MANIFEST + " lists an illegal file name '" + name + "'");
      }
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new CheckpointVerificationException(
            dir + ": file " + name + " listed in " + MANIFEST + " is missing");
      }
      String actual = StoreFiles.sha256(file);
      if (!actual.equalsIgnoreCase(entry.getValue())) {
        throw new CheckpointVerificationException(
            dir
                + ": file "
                + name
                + " sha256 mismatch (corrupted or truncated): expected "
                + entry.getValue()
                + ", actual "
                + actual
                + " ("
                + Files.size(file)
                + " bytes)");
      }
    }
    for (Path file : StoreFiles.listFiles(dir)) {
      String name = StoreFiles.relativeName(dir, file);
      if (!name.equals(MANIFEST)
          && !name.equals(CheckpointTrust.SIGNATURE_FILE)
          && !manifest.files().containsKey(name)) {
        throw new CheckpointVerificationException(
            dir + ": file " + name + " is not listed in " + MANIFEST);
      }
    }
    return new Checkpoint(
        manifest.version(),
        manifest.parentVersion(),
        dir,
        manifestSha256,
        manifest.metrics(),
        Instant.ofEpochMilli(manifest.createdAtMs()));
  }

  private void enforceRetention() throws IOException {
    List<Long> versions = versions();
    for (int i = 0; i < versions.size() - keepNewest; i++) {
      Path dir = root.resolve(directoryName(versions.get(i)));
      // Rename first so a half-deleted directory is never visible as a version.
      Path doomed =
          root.resolve(TEMP_PREFIX + "delete-" + dir.getFileName() + "-" + UUID.randomUUID());
      try {
        Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException e) {
        continue; // another store instance removed it first
      }
      StoreFiles.deleteRecursively(doomed);
      LOG.info("retention: deleted checkpoint {} (keeping newest {})", dir, keepNewest);
    }
  }

  /**
   * Fsyncs a directory so created and renamed entries survive a crash (a no-op where unsupported).
   */
  public static void syncDirectory(Path dir) throws IOException {
    StoreFiles.syncDirectory(dir);
  }

  private static void checkVersion(long version) {
    if (version < 0 || version > MAX_VERSION) {
      throw new IllegalArgumentException(
          "version must be in [0, " + MAX_VERSION + "], got " + version);
    }
  }
}
