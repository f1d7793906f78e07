package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint announcements are hints: the value stage's holder loads announced versions from its
 * own store only, and an announcement pointing elsewhere, a symbolic link in a checkpoint, a
 * far-future version or a digest that differs from the store's manifest is ignored or refused
 * (counted) while the held versions keep serving and later genuine versions are still adopted.
 */
class UntrustedAnnouncementTest {
  @TempDir Path dir;

  @Test
  void onlyVersionsOfTheOwnStoreAreLoaded() throws IOException {
    Path store = dir.resolve("store");
    TinyPolicies.save(store, 1, 1);
    PolicyHolder holder = PolicyHolder.acquire(TinyPolicies.settings(store));
    try {
      // Outside the store: a valid checkpoint, but not one of this store's versions.
      Checkpoint outside = TinyPolicies.save(dir.resolve("attacker"), 5, 5);
      assertThat(holder.offer(TinyPolicies.announcement(outside)), equalTo(false));
      assertThat(holder.ignoredAnnouncements(), equalTo(1L));

      // Far-future version: ignored, nothing waits for it.
      PolicyCheckpoint farFuture =
          PolicyCheckpoint.newBuilder(TinyPolicies.announcement(outside))
              .setVersion(999_999_999_999L)
              .build();
      assertThat(holder.offer(farFuture), equalTo(false));
      assertThat(holder.ignoredAnnouncements(), equalTo(2L));
      assertThat(holder.takeUnreportedIgnored(), equalTo(2L));
      assertThat(holder.takeUnreportedIgnored(), equalTo(0L));

      // A version the store holds, announced with another digest: refused, not remembered.
      Checkpoint second = TinyPolicies.save(store, 2, 2);
      PolicyCheckpoint wrongDigest =
          PolicyCheckpoint.newBuilder(TinyPolicies.announcement(second))
              .setManifestSha256(outside.manifestSha256())
              .setUri(outside.uri().toString())
              .build();
      assertThat(holder.offer(wrongDigest), equalTo(false));
      assertThat(holder.refusedCheckpoints(), equalTo(1L));
      assertThat(holder.heldVersions(), contains(1L));

      // A symbolic link inside a checkpoint of the store: refused.
      Checkpoint third = TinyPolicies.save(store, 3, 3);
      Path params = third.file(Policy.PARAMS_FILE);
      Path moved = Files.move(params, dir.resolve("params-elsewhere"));
      Files.createSymbolicLink(params, moved);
      assertThat(holder.offer(TinyPolicies.announcement(third)), equalTo(false));
      assertThat(holder.refusedCheckpoints(), equalTo(2L));
      assertThat(holder.heldVersions(), contains(1L));

      // The genuine announcement of version 2 is still adopted.
      assertThat(holder.offer(TinyPolicies.announcement(second)), equalTo(true));
      assertThat(holder.heldVersions(), contains(1L, 2L));
    } finally {
      holder.release();
    }
  }
}
