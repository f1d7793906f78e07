package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.files.HomeDirectory;
import dev.rredcot.model.pretrain.ShippedPolicies;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --trusted-keys} option of every command that loads the trainer's checkpoints (trainer,
 * worker, pipeline): only versions signed by one of these keys, or a shipped policy, are loaded.
 */
public final class CheckpointTrustOption {
  @Option(
      names = "--trusted-keys",
      paramLabel = "FILE",
      description =
          "Public keys whose signatures on checkpoint manifests are accepted, one 'ed25519 <base64>'"
              + " line each, re-read at every load (default:"
              + " $RREDCOT_HOME/keys/checkpoint-signing.key.pub, written by the trainer).")
  Path trustedKeys;

  /** The trusted-keys file in use. */
  Path file(RredcotHome home) {
    return trustedKeys != null ? trustedKeys : HomeDirectory.trustedKeys(home.root());
  }

  /** The trust of this command's checkpoint store. */
  CheckpointTrust resolve(RredcotHome home) {
    return ShippedPolicies.trustSignedBy(file(home));
  }
}
