package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.CheckpointAdoption;
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
    CheckpointStore store = new CheckpointStore(dir.resolve("store"), 5);
    try (Policy policy = RolloutFixtures.tinyPolicy(1)) {
      v1 = policy.save(store, 1, null, Map.of());
      v2 = policy.save(store, 2, 1L, Map.of());
    }
    initial = RolloutFixtures.tinyPolicy(2);
    follower =
        new PolicyFollower(
            initial, new CheckpointAdoption(new CheckpointStore(dir.resolve("store"), 5)));
  }

  @AfterEach
  void close() {
    follower.close();
  }

  private static PolicyCheckpoint announce(Checkpoint checkpoint, String sha) {
    return announce(checkpoint, checkpoint.version(), sha);
  }

  private static PolicyCheckpoint announce(Checkpoint checkpoint, long version, String sha) {
    return PolicyCheckpoint.newBuilder()
        .setVersion(version)
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
    try (PolicyFollower waiting =
        new PolicyFollower(
            null, new CheckpointAdoption(new CheckpointStore(dir.resolve("store"), 5)))) {
      assertEquals(-1, waiting.currentVersion());
      assertEquals(Outcome.ADOPTED, waiting.offer(announce(v2, v2.manifestSha256())));
      assertEquals(2, waiting.currentVersion());
    }
  }

  @Test
  void neverLoadsFromALocationOutsideItsStore() throws IOException {
    Checkpoint outside;
    try (Policy policy = RolloutFixtures.tinyPolicy(3)) {
      outside = policy.save(new CheckpointStore(dir.resolve("elsewhere"), 5), 7, null, Map.of());
    }
    assertEquals(Outcome.IGNORED, follower.offer(announce(outside, outside.manifestSha256())));
    assertEquals(0, follower.currentVersion());
    assertEquals(1, follower.notInStoreCount());
    // Version 2 is in the store, but the announcement points at the outside checkpoint: the store's
    // v2 is what counts, and its digest is not the announced one.
    PolicyCheckpoint pointingOutside = announce(outside, 2, outside.manifestSha256());
    assertEquals(Outcome.REJECTED, follower.offer(pointingOutside));
    assertSame(initial, follower.current().orElseThrow());
  }

  @Test
  void aFarFutureVersionIsIgnoredAndDoesNotFreezeTheWorker() {
    assertEquals(
        Outcome.IGNORED, follower.offer(announce(v2, 999_999_999_999L, v2.manifestSha256())));
    assertEquals(Outcome.IGNORED, follower.offer(announce(v2, Long.MAX_VALUE, "")));
    assertEquals(2, follower.notInStoreCount());
    assertEquals(0, follower.currentVersion());
    assertEquals(Outcome.ADOPTED, follower.offer(announce(v1, v1.manifestSha256())));
    follower.offerAll(
        List.of(announce(v2, 123_456L, v2.manifestSha256()), announce(v2, v2.manifestSha256())));
    assertEquals(2, follower.currentVersion());
  }

  @Test
  void refusesACheckpointHoldingASymbolicLink() throws IOException {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "not a model");
    Files.createSymbolicLink(v1.dir().resolve("extra.bin"), secret);
    assertEquals(Outcome.REJECTED, follower.offer(announce(v1, v1.manifestSha256())));
    assertEquals(1, follower.rejectedCount());
    assertSame(initial, follower.current().orElseThrow());
    assertEquals(Outcome.ADOPTED, follower.offer(announce(v2, v2.manifestSha256())));
  }
}
