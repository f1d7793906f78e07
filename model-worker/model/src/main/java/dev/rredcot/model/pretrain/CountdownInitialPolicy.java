package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import java.io.IOException;

/**
 * The shipped countdown initial policy (checkpoint version 0 for countdown runs), kept as
 * class-path resources under {@code dev/rredcot/model/countdown-policy/} and pinned by the SHA-256
 * of its manifest; the same files and checks as {@link InitialPolicy}, with the countdown
 * tokenizer.
 *
 * <p>Regenerate it with {@link PretrainOptions#countdownBuilder()} (stage one) and {@link
 * PretrainOptions#countdownStageTwoBuilder} (stage two, whose snapshot at step 4000 is shipped),
 * unchanged, from the repository root: {@code mvn -B -o -pl model-worker test
 * -Dtest=CountdownPolicyRegeneration -Drredcot.regenerate.countdownPolicy=true
 * -Dsurefire.failIfNoSpecifiedTests=false}, then set {@link #MANIFEST_SHA256} to the logged digest.
 * The figures are in docs/RESULTS.md.
 */
public final class CountdownInitialPolicy {

  /** Class-path folder of the checkpoint files. */
  public static final String RESOURCE_FOLDER = "/dev/rredcot/model/countdown-policy/";

  /** SHA-256 of the shipped manifest.json, which itself pins every other file's digest. */
  public static final String MANIFEST_SHA256 =
      "8537e738c20e7327856111e9b3cc4186e25fa930d173d8ed2e97683d708b1669";

  private CountdownInitialPolicy() {}

  /**
   * Copies the shipped countdown checkpoint into {@code store} as version 0 and verifies every
   * digest; if version 0 already exists it is verified against the shipped manifest and returned.
   *
   * @throws CheckpointVerificationException when the resources or an existing version 0 do not
   *     match the pinned manifest digest
   */
  public static Checkpoint materialise(CheckpointStore store) throws IOException {
    return InitialPolicy.materialise(store, RESOURCE_FOLDER, MANIFEST_SHA256);
  }
}
