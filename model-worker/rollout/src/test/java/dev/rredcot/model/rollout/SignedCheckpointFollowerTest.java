package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.TrustedKeys;
import dev.rredcot.model.loading.CheckpointAdoption;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.ShippedPolicies;
import dev.rredcot.model.rollout.PolicyFollower.Outcome;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker following announcements loads only checkpoints signed by a trusted trainer key. */
class SignedCheckpointFollowerTest {
  @TempDir Path dir;
  private final CheckpointSigningKey trainerKey = CheckpointSigningKey.generate();
  private Policy initial;
  private PolicyFollower follower;

  @BeforeEach
  void follow() throws IOException {
    Path trusted =
        Files.writeString(dir.resolve("trusted.pub"), TrustedKeys.line(trainerKey.publicKey()));
    initial = RolloutFixtures.tinyPolicy(1);
    follower =
        new PolicyFollower(
            initial,
            new CheckpointAdoption(
                new CheckpointStore(store(), 5, ShippedPolicies.trustSignedBy(trusted))));
  }

  @AfterEach
  void close() {
    follower.close();
  }

  private Path store() {
    return dir.resolve("store");
  }

  private Checkpoint save(CheckpointStore store, long version, long seed) throws IOException {
    try (Policy policy = RolloutFixtures.tinyPolicy(seed)) {
      return policy.save(store, version, null, Map.of());
    }
  }

  private static PolicyCheckpoint announce(Checkpoint checkpoint) {
    return PolicyCheckpoint.newBuilder()
        .setVersion(checkpoint.version())
        .setParentVersion(checkpoint.parentVersion())
        .setUri(checkpoint.uri().toString())
        .setManifestSha256(checkpoint.manifestSha256())
        .setCreatedAtMs(checkpoint.createdAt())
        .setMetrics(Map.of())
        .build();
  }

  @Test
  void neverLoadsAForgedOrAnUnsignedVersionAndLoadsTheSignedOne() throws IOException {
    // Anyone who can write the store plants v1 signed by their own key and v2 unsigned, and
    // announces them with the right digests.
    Checkpoint forged =
        save(new CheckpointStore(store(), 5).withSigner(CheckpointSigningKey.generate()), 1, 7);
    Checkpoint unsigned = save(new CheckpointStore(store(), 5), 2, 8);
    assertEquals(Outcome.REJECTED, follower.offer(announce(forged)));
    assertEquals(Outcome.REJECTED, follower.offer(announce(unsigned)));
    assertSame(initial, follower.current().orElseThrow());
    assertEquals(2, follower.rejectedCount());

    Checkpoint good = save(new CheckpointStore(store(), 5).withSigner(trainerKey), 3, 9);
    assertEquals(Outcome.ADOPTED, follower.offer(announce(good)));
    assertEquals(3, follower.currentVersion());
  }
}
