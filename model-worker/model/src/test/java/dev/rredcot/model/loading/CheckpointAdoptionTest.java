package dev.rredcot.model.loading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.CheckpointAdoption.Outcome;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The followers' one rule set for announced checkpoints. */
class CheckpointAdoptionTest {

  @TempDir Path dir;
  private CheckpointStore store;
  private Checkpoint v1;

  @BeforeEach
  void writeVersionOne() throws IOException {
    v1 = TinyPolicy.save(dir.resolve("store"), 1, TinyPolicy.MAX_CONTEXT, 1);
    store = new CheckpointStore(dir.resolve("store"), 5);
  }

  /** The trainer's announcement of {@code checkpoint}, naming {@code version} and {@code sha}. */
  private static PolicyCheckpoint announce(Checkpoint checkpoint, long version, String sha) {
    return PolicyCheckpoint.newBuilder(CheckpointAnnouncement.of(checkpoint, Map.of()))
        .setVersion(version)
        .setManifestSha256(sha)
        .build();
  }

  @Test
  void aNewerVersionInTheStoreIsLoadedAndHandedOver() {
    CheckpointAdoption.Result result =
        new CheckpointAdoption(store).offer(announce(v1, 1, v1.manifestSha256()), 0);
    assertEquals(Outcome.ADOPTED, result.outcome());
    try (PolicyBackend policy = result.policy().orElseThrow()) {
      assertEquals(1, policy.version());
    }
  }

  @Test
  void aVersionNotNewerThanTheNewestHeldIsNotLoaded() {
    AtomicInteger loads = new AtomicInteger();
    CheckpointAdoption adoption =
        new CheckpointAdoption(
            store,
            checkpoint -> {
              loads.incrementAndGet();
              return PolicyCheckpoints.load(checkpoint);
            });
    assertEquals(
        Outcome.NOT_NEWER, adoption.offer(announce(v1, 1, v1.manifestSha256()), 1).outcome());
    assertEquals(0, loads.get());
  }

  @Test
  void aVersionTheStoreDoesNotHoldIsNotInStore() {
    assertEquals(
        Outcome.NOT_IN_STORE,
        new CheckpointAdoption(store).offer(announce(v1, 7, v1.manifestSha256()), 1).outcome());
  }

  @Test
  void aForgedAnnouncementIsRefusedButDoesNotBlockTheRealOne() {
    CheckpointAdoption adoption = new CheckpointAdoption(store);
    CheckpointAdoption.Result forged = adoption.offer(announce(v1, 1, "0".repeat(64)), 0);
    assertEquals(Outcome.REFUSED, forged.outcome());
    assertTrue(forged.reason().contains("sha256"), forged.reason());
    CheckpointAdoption.Result real = adoption.offer(announce(v1, 1, v1.manifestSha256()), 0);
    assertEquals(Outcome.ADOPTED, real.outcome());
    real.policy().orElseThrow().close();
  }

  @Test
  void aVerifiedCheckpointThatFailsToLoadIsRefusedOnceAndThenNotTriedAgain() {
    AtomicInteger loads = new AtomicInteger();
    CheckpointAdoption adoption =
        new CheckpointAdoption(
            store,
            checkpoint -> {
              loads.incrementAndGet();
              throw new IOException("no backend reads this directory");
            });
    CheckpointAdoption.Result first = adoption.offer(announce(v1, 1, v1.manifestSha256()), 0);
    assertEquals(Outcome.REFUSED, first.outcome());
    assertTrue(first.reason().contains("no backend"), first.reason());
    assertEquals(
        Outcome.NOT_NEWER, adoption.offer(announce(v1, 1, v1.manifestSha256()), 0).outcome());
    assertEquals(1, loads.get(), "loaded once");
  }
}
