package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --policyVersion}: the holder loads exactly the pinned version (not the newest), scores
 * every rollout with it and refuses to start when the store does not hold it.
 */
class PinnedPolicyTest {
  @TempDir Path store;

  @Test
  void holdsExactlyThePinnedVersionAndLeasesItForEveryRollout() throws IOException {
    TinyPolicies.save(store, 1, 1);
    TinyPolicies.save(store, 2, 2);
    TinyPolicies.save(store, 3, 3);
    PolicyHolder holder = PolicyHolder.acquire(pinned(2));
    try {
      assertEquals(List.of(2L), holder.heldVersions());
      try (PolicyHolder.Lease lease = holder.lease(3)) {
        assertEquals(2L, lease.version());
        assertFalse(lease.isGeneratingVersion());
      }
      try (PolicyHolder.Lease lease = holder.lease(2)) {
        assertEquals(2L, lease.version());
        assertTrue(lease.isGeneratingVersion());
      }
      // An unpinned holder of the same store is a different holder: it follows the newest.
      PolicyHolder following = PolicyHolder.acquire(TinyPolicies.settings(store));
      try {
        assertEquals(List.of(2L, 3L), following.heldVersions());
      } finally {
        following.release();
      }
    } finally {
      holder.release();
    }
  }

  @Test
  void aVersionTheStoreDoesNotHoldFailsNamingTheVersionsItHolds() throws IOException {
    TinyPolicies.save(store, 1, 1);
    IllegalStateException failure =
        assertThrows(IllegalStateException.class, () -> PolicyHolder.acquire(pinned(7)));
    assertTrue(failure.getMessage().contains("--policy-version=7"), failure.getMessage());
    assertTrue(failure.getMessage().contains("[1]"), failure.getMessage());
  }

  @Test
  void aNegativeVersionOtherThanUnpinnedIsRejected() {
    IllegalArgumentException failure =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSettings.builder().setCheckpointDir("/x").optPinnedVersion(-2).build());
    assertTrue(failure.getMessage().contains("--policy-version"), failure.getMessage());
  }

  private ModelSettings pinned(long version) {
    return ModelSettings.builder()
        .setCheckpointDir(store.toString())
        .optPinnedVersion(version)
        .build();
  }
}
