package dev.rredcot.model.checkpoint;

import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's Ed25519 key that signs every manifest it writes, so readers can tell the trainer's
 * checkpoints from files planted by anyone else who can write the store.
 *
 * <p>Key file, created owner-only (0600): comment lines, a line {@code private <base64 PKCS#8>} and
 * a line {@code public <base64 X.509>} (the JDK cannot derive an Ed25519 public key from the
 * private one, so both are kept, and checked to belong together on load). The public half also goes
 * to {@code <key file>.pub} in the {@link TrustedKeys} line format. Neither the key nor its bytes
 * are ever logged: only its {@link TrustedKeys#keyId key id}.
 */
public final class CheckpointSigningKey {
  /** Suffix of the public key file written beside a generated key file. */
  public static final String PUBLIC_SUFFIX = ".pub";

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointSigningKey.class);
  private static final String ALGORITHM = "Ed25519";

  private final PrivateKey privateKey;
  private final PublicKey publicKey;

  private CheckpointSigningKey(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** A fresh key pair (not written anywhere). */
  public static CheckpointSigningKey generate() {
    try {
      KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
      return new CheckpointSigningKey(pair.getPrivate(), pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every Java 15+ runtime", e);
    }
  }

  /**
   * Generates a key and writes it to {@code keyFile} (0600, in an owner-only directory created if
   * missing) and adds its public half to {@code keyFile.pub} (appended when that file exists: it
   * may already list keys being rotated).
   *
   * @throws FileAlreadyExistsException when {@code keyFile} exists (a key is never overwritten)
   */
  public static CheckpointSigningKey generateInto(Path keyFile) throws IOException {
    CheckpointSigningKey key = generate();
    Path parent = keyFile.toAbsolutePath().getParent();
    OwnerOnlyFiles.createDirectories(parent);
    String text =
        "# RREDCoT checkpoint signing key (Ed25519), key id "
            + key.keyId()
            + ". Secret: only the trainer reads it.\nprivate "
            + Base64.getEncoder().encodeToString(key.privateKey.getEncoded())
            + "\npublic "
            + Base64.getEncoder().encodeToString(key.publicKey.getEncoded())
            + "\n";
    // CREATE_NEW: two trainers sharing a home that start at once must not overwrite each other's
    // key.
    try (FileChannel channel =
        FileChannel.open(
            keyFile,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            OwnerOnlyFiles.fileAttributes(parent))) {
      ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    Files.writeString(
        publicFile(keyFile),
        TrustedKeys.line(key.publicKey),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    LOG.info(
        "generated checkpoint signing key {} in {}; readers trust it through {}",
        key.keyId(),
        keyFile,
        publicFile(keyFile));
    return key;
  }

  /** Reads the key in {@code keyFile}, generating one there first when the file does not exist. */
  public static CheckpointSigningKey loadOrGenerate(Path keyFile) throws IOException {
    if (!Files.exists(keyFile)) {
      try {
        return generateInto(keyFile);
      } catch (FileAlreadyExistsException e) {
        // Another process generated it between the check and the write: use that one.
      }
    }
    return load(keyFile);
  }

  /**
   * Reads a key file written by {@link #generateInto}.
   *
   * @throws IOException when the file lacks either half, does not decode, or its halves do not
   *     belong together
   */
  public static CheckpointSigningKey load(Path keyFile) throws IOException {
    String privateText = null;
    String publicText = null;
    for (String line : Files.readAllLines(keyFile, StandardCharsets.US_ASCII)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("private ")) {
        privateText = trimmed.substring("private ".length()).strip();
      } else if (trimmed.startsWith("public ")) {
        publicText = trimmed.substring("public ".length()).strip();
      }
    }
    if (privateText == null || publicText == null) {
      throw new IOException(
          keyFile + " is not a checkpoint signing key (needs a 'private' and a 'public' line)");
    }
    CheckpointSigningKey key;
    try {
      PrivateKey privateKey =
          KeyFactory.getInstance(ALGORITHM)
              .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privateText)));
      key = new CheckpointSigningKey(privateKey, TrustedKeys.decode(publicText));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // No key material in the message: it may end up in a log.
      throw new IOException(keyFile + " does not hold a readable Ed25519 key pair", e);
    }
    warnIfOthersCanRead(keyFile, key);
    byte[] probe = "rredcot key pair check".getBytes(StandardCharsets.US_ASCII);
    if (!TrustedKeys.verifies(key.publicKey, probe, key.sign(probe))) {
      throw new IOException(keyFile + ": its public and private halves do not belong together");
    }
    return key;
  }

  /**
   * Warns when the key file is readable by anyone but its owner (copied with other permissions, a
   * mounted Secret with a wide default mode): whoever reads it can sign checkpoints. A file owned
   * by another user (a Kubernetes Secret volume: owned by root, readable through the pod's {@code
   * fsGroup}, mode 0440) is judged by "others" only, since group read is how such a mount reaches a
   * non-root process and the process cannot chmod it.
   */
  private static void warnIfOthersCanRead(Path keyFile, CheckpointSigningKey key) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
      boolean ownedByThisUser =
          Files.getOwner(keyFile).getName().equals(System.getProperty("user.name"));
      if (permissions.contains(PosixFilePermission.OTHERS_READ)
          || (ownedByThisUser && permissions.contains(PosixFilePermission.GROUP_READ))) {
        LOG.warn(
            "checkpoint signing key {} ({}) is readable by others ({}): chmod 600 it",
            key.keyId(),
            keyFile,
            PosixFilePermissions.toString(permissions));
      }
    } catch (UnsupportedOperationException | IOException e) {
      // No POSIX permissions here (or they cannot be read): nothing to warn about.
    }
  }

  /** The public key file beside {@code keyFile}. */
  public static Path publicFile(Path keyFile) {
    return keyFile.resolveSibling(keyFile.getFileName() + PUBLIC_SUFFIX);
  }

  /** The public half, to be trusted by readers. */
  public PublicKey publicKey() {
    return publicKey;
  }

  /** Short, stable name of this key (of its public half), safe to log. */
  public String keyId() {
    return TrustedKeys.keyId(publicKey);
  }

  /** Ed25519 signature of {@code message}. */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(privateKey);
      signature.update(message);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with key " + keyId(), e);
    }
  }

  @Override
  public String toString() {
    return "CheckpointSigningKey[" + keyId() + "]";
  }
}
