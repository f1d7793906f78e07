package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.rollout.PolicyFollower.Outcome;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFollowerTest {

  @TempDir Path dir;
  private Checkpoint v1;
  private Checkpoint v2;
  private PolicyFollower follower;
  private Policy initial;

  @BeforeEach
  void writeCheckpoints() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 5);
    try (Policy policy = RolloutFixtures.tinyPolicy(1)) {
      v1 = policy.save(store, 1, null, Map.of());
      v2 = policy.save(store, 2, 1L, Map.of());
    }
    initial = RolloutFixtures.tinyPolicy(2);
    follower = new PolicyFollower(initial, PolicyFollower.verifyingLoader());
  }

  @AfterEach
  void close() {
    follower.close();
  }

  private static PolicyCheckpoint announce(Checkpoint checkpoint, String sha) {
    return PolicyCheckpoint.newBuilder()
        .setVersion(checkpoint.version())
        .setParentVersion(checkpoint.parentVersion())
        .setUri(checkpoint.uri().toString())
        .setManifestSha256(sha)
        .setCreatedAtMs(checkpoint.createdAt())
        .setMetrics(Map.of())
        .build();
  }

  @Test
  void adoptsAVerifiedNewerCheckpoint() {
    assertEquals(Outcome.ADOPTED, follower.offer(announce(v1, v1.manifestSha256())));
    assertEquals(1, follower.currentVersion());
    assertEquals(1, follower.adoptedCount());
  }

  @Test
  void keepsItsPolicyWhenTheManifestDigestDoesNotMatch() {
    String wrong = "0".repeat(64);
    assertEquals(Outcome.REJECTED, follower.offer(announce(v1, wrong)));
    assertSame(initial, follower.current().orElseThrow());
    assertEquals(0, follower.currentVersion());
    assertEquals(1, follower.rejectedCount());
  }

  @Test
  void keepsItsPolicyWhenACheckpointFileWasTampered() throws IOException {
    Path params = v1.file(Policy.PARAMS_FILE);
    byte[] bytes = Files.readAllBytes(params);
    bytes[bytes.length / 2] ^= 1;
    Files.write(params, bytes);
    assertEquals(Outcome.REJECTED, follower.offer(announce(v1, v1.manifestSha256())));
    assertSame(initial, follower.current().orElseThrow());
  }

  @Test
  void ignoresAnnouncementsNotNewerThanItsPolicy() {
    follower.offer(announce(v2, v2.manifestSha256()));
    assertEquals(Outcome.IGNORED, follower.offer(announce(v1, v1.manifestSha256())));
    assertEquals(2, follower.currentVersion());
  }

  @Test
  void fromSeveralAnnouncementsAdoptsTheNewestThatVerifies() {
    follower.offerAll(List.of(announce(v1, v1.manifestSha256()), announce(v2, "f".repeat(64))));
    assertEquals(1, follower.currentVersion());
    assertEquals(1, follower.rejectedCount());
  }

  @Test
  void withoutAnInitialPolicyItWaitsForTheFirstAnnouncement() {
    try (PolicyFollower waiting = new PolicyFollower(null, PolicyFollower.verifyingLoader())) {
      assertEquals(-1, waiting.currentVersion());
      assertEquals(Outcome.ADOPTED, waiting.offer(announce(v2, v2.manifestSha256())));
      assertEquals(2, waiting.currentVersion());
    }
  }
}
