package dev.rredcot.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one rule that decides whether a checkpoint a process finds in its store may be loaded: a
 * manifest whose SHA-256 is pinned (the shipped initial policies) is trusted as it is; any other
 * must carry {@value #SIGNATURE_FILE}, an Ed25519 signature of its exact manifest bytes by one of
 * the {@link TrustedKeys}. The manifest pins every file's digest and its version, so a valid
 * signature covers the whole checkpoint and cannot be moved to another version.
 *
 * <p>{@link CheckpointStore} applies it in {@link CheckpointStore#load}, through which every other
 * read of a version goes ({@code loadAnnounced}, {@code latestVerified}, {@code newestVerified},
 * {@code latest}). {@link #digestsOnly()} keeps the older rule (the manifest's digests, no
 * signature) for tools that read stores they wrote themselves: evaluations, benchmarks,
 * pretraining.
 */
public final class CheckpointTrust {
  /** Name of the signature file in a signed checkpoint directory. */
  public static final String SIGNATURE_FILE = "manifest.sig";

  private static final String ALGORITHM = "Ed25519";
  private static final int MAX_SIGNATURE_FILE_BYTES = 4096;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CheckpointTrust DIGESTS_ONLY = new CheckpointTrust(null, Set.of());

  private final TrustedKeys keys;
  private final Set<String> pinnedManifestSha256;

  private CheckpointTrust(TrustedKeys keys, Set<String> pinnedManifestSha256) {
    this.keys = keys;
    TreeSet<String> pinned = new TreeSet<>();
    pinnedManifestSha256.forEach(d -> pinned.add(d.toLowerCase(Locale.ROOT)));
    this.pinnedManifestSha256 = Set.copyOf(pinned);
  }

  /** No signature required: a checkpoint is trusted when it matches its own manifest. */
  public static CheckpointTrust digestsOnly() {
    return DIGESTS_ONLY;
  }

  /**
   * Signatures required: trusted are checkpoints signed by one of {@code keys} and those whose
   * manifest SHA-256 is one of {@code pinnedManifestSha256}.
   */
  public static CheckpointTrust signedBy(TrustedKeys keys, Set<String> pinnedManifestSha256) {
    return new CheckpointTrust(Objects.requireNonNull(keys, "keys"), pinnedManifestSha256);
  }

  /** Whether this rule asks for signatures. */
  public boolean requiresSignature() {
    return keys != null;
  }

  /** This rule with {@code key} trusted too (a trainer trusts what it signs itself). */
  public CheckpointTrust plus(PublicKey key) {
    if (keys == null) {
      return this;
    }
    return new CheckpointTrust(keys.plus(key), pinnedManifestSha256);
  }

  /** For messages: what this rule trusts. */
  public String describe() {
    return keys == null
        ? "manifest digests only (signatures not checked)"
        : "signatures by " + keys.describe() + " or a shipped policy's pinned manifest";
  }

  /**
   * Checks a checkpoint directory whose manifest (already read, {@code manifestBytes}, with digest
   * {@code manifestSha256}) is about to be trusted.
   *
   * @throws UntrustedCheckpointException when it is neither pinned nor signed by a trusted key
   * @throws IOException when the trusted-keys file cannot be read
   */
  void check(Path dir, byte[] manifestBytes, String manifestSha256) throws IOException {
    if (keys == null || pinnedManifestSha256.contains(manifestSha256.toLowerCase(Locale.ROOT))) {
      return;
    }
    Path signatureFile = dir.resolve(SIGNATURE_FILE);
    if (!Files.isRegularFile(signatureFile, LinkOption.NOFOLLOW_LINKS)) {
      throw new UntrustedCheckpointException(
          dir + ": unsigned (no " + SIGNATURE_FILE + "); only signed checkpoints are loaded");
    }
    SignatureFile signature = readSignature(dir, signatureFile);
    for (PublicKey key : keys.keys()) {
      if (TrustedKeys.verifies(key, manifestBytes, signature.bytes())) {
        return;
      }
    }
    throw new UntrustedCheckpointException(
        dir
            + ": "
            + SIGNATURE_FILE
            + " (key id "
            + signature.keyId()
            + ") is not a valid signature of its manifest by any trusted key ("
            + keys.describe()
            + ")");
  }

  /** Writes {@code key}'s signature of {@code manifestBytes} into {@code dir}. */
  static byte[] signatureFile(CheckpointSigningKey key, byte[] manifestBytes) throws IOException {
    ObjectNode node = JSON.createObjectNode();
    node.put("algorithm", ALGORITHM);
    node.put("keyId", key.keyId());
    node.put("signature", Base64.getEncoder().encodeToString(key.sign(manifestBytes)));
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
  }

  private record SignatureFile(String keyId, byte[] bytes) {}

  private static SignatureFile readSignature(Path dir, Path file) throws IOException {
    byte[] content;
    try (InputStream in = Files.newInputStream(file)) {
      content = in.readNBytes(MAX_SIGNATURE_FILE_BYTES + 1);
    }
    if (content.length > MAX_SIGNATURE_FILE_BYTES) {
      throw new UntrustedCheckpointException(
          dir + ": " + SIGNATURE_FILE + " is larger than " + MAX_SIGNATURE_FILE_BYTES + " bytes");
    }
    try {
      JsonNode node = JSON.readTree(content);
      if (node == null
          || !ALGORITHM.equals(node.path("algorithm").asText())
          || !node.path("signature").isTextual()) {
        throw new UntrustedCheckpointException(
            dir + ": " + SIGNATURE_FILE + " is not an " + ALGORITHM + " signature");
      }
      String keyId = node.path("keyId").asText("?").replaceAll("[^0-9a-fA-F]", "");
      return new SignatureFile(
          keyId.isEmpty() ? "?" : keyId,
          Base64.getDecoder().decode(node.get("signature").asText()));
    } catch (IOException | IllegalArgumentException e) {
      if (e instanceof UntrustedCheckpointException untrusted) {
        throw untrusted;
      }
      throw new UntrustedCheckpointException(dir + ": unreadable " + SIGNATURE_FILE, e);
    }
  }
}
