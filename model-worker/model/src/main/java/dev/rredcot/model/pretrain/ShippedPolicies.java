package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.checkpoint.TrustedKeys;
import java.nio.file.Path;
import java.util.Set;

/**
 * The checkpoint trust of the online loop's processes: the shipped initial policies, trusted by
 * their pinned manifest digests (they are part of the code, not of any store), and whatever the
 * trainer's keys listed in a trusted-keys file sign.
 */
public final class ShippedPolicies {
  /** Manifest SHA-256 of every shipped initial policy. */
  public static final Set<String> MANIFEST_SHA256 =
      Set.of(InitialPolicy.MANIFEST_SHA256, CountdownInitialPolicy.MANIFEST_SHA256);

  private ShippedPolicies() {}

  /**
   * Trusts the shipped policies and checkpoints signed by a key listed in {@code trustedKeysFile}
   * (read at every check, see {@link TrustedKeys#fromFile}).
   */
  public static CheckpointTrust trustSignedBy(Path trustedKeysFile) {
    return CheckpointTrust.signedBy(TrustedKeys.fromFile(trustedKeysFile), MANIFEST_SHA256);
  }
}
