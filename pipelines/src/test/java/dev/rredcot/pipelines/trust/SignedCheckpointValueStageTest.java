package dev.rredcot.pipelines.trust;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.TrustedKeys;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.PolicyHolder;
import dev.rredcot.pipelines.value.TinyPolicies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The value stage loads, at start and from announcements, only checkpoints signed by a trusted key
 * when {@code --trustedKeys} is set; unsigned and forged versions are refused and counted.
 */
class SignedCheckpointValueStageTest {
  @TempDir Path dir;
  private final CheckpointSigningKey trainerKey = CheckpointSigningKey.generate();

  private Path trustedKeys() throws IOException {
    return Files.writeString(dir.resolve("trusted.pub"), TrustedKeys.line(trainerKey.publicKey()));
  }

  private ModelSettings settings(Path store) throws IOException {
    return ModelSettings.builder()
        .setCheckpointDir(store.toString())
        .optTrustedKeys(trustedKeys().toString())
        .build();
  }

  private static Checkpoint save(CheckpointStore store, long version, long seed)
      throws IOException {
    try (Policy policy = TinyPolicy.create(TinyPolicies.MAX_CONTEXT, seed)) {
      return policy.save(store, version, null, Map.of());
    }
  }

  @Test
  void startsFromTheNewestSignedVersionSkippingPlantedNewerOnes() throws IOException {
    Path store = dir.resolve("store");
    save(new CheckpointStore(store, 10).withSigner(trainerKey), 1, 1);
    save(new CheckpointStore(store, 10).withSigner(CheckpointSigningKey.generate()), 2, 2);
    save(new CheckpointStore(store, 10), 3, 3);

    PolicyHolder holder = PolicyHolder.acquire(settings(store));
    try {
      assertThat(holder.heldVersions(), contains(1L));
      assertThat(holder.refusedCheckpoints(), equalTo(2L));
    } finally {
      holder.release();
    }
  }

  @Test
  void refusesForgedAndUnsignedAnnouncementsAndAdoptsASignedOne() throws IOException {
    Path store = dir.resolve("store");
    save(new CheckpointStore(store, 10).withSigner(trainerKey), 1, 1);
    PolicyHolder holder = PolicyHolder.acquire(settings(store));
    try {
      Checkpoint forged =
          save(new CheckpointStore(store, 10).withSigner(CheckpointSigningKey.generate()), 2, 2);
      assertThat(holder.offer(TinyPolicies.announcement(forged)), equalTo(false));
      Checkpoint unsigned = save(new CheckpointStore(store, 10), 3, 3);
      assertThat(holder.offer(TinyPolicies.announcement(unsigned)), equalTo(false));
      assertThat(holder.refusedCheckpoints(), equalTo(2L));
      assertThat(holder.heldVersions(), contains(1L));

      Checkpoint signed = save(new CheckpointStore(store, 10).withSigner(trainerKey), 4, 4);
      assertThat(holder.offer(TinyPolicies.announcement(signed)), equalTo(true));
      assertThat(holder.heldVersions(), contains(1L, 4L));
    } finally {
      holder.release();
    }
  }

  @Test
  void aStoreWithOnlyUnsignedVersionsDoesNotStart() throws IOException {
    Path store = dir.resolve("store");
    save(new CheckpointStore(store, 10), 1, 1);
    IllegalStateException error =
        assertThrows(IllegalStateException.class, () -> PolicyHolder.acquire(settings(store)));
    assertThat(error.getMessage(), containsString("no loadable policy checkpoint"));
  }
}
