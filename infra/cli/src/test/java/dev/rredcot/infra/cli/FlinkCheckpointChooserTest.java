package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume chooser restores the newest retained Flink checkpoint whose {@code _metadata} Flink
 * can read, falling back past newer ones that are truncated.
 */
class FlinkCheckpointChooserTest {
  @TempDir Path storage;

  /** Writes {@code <job>/chk-<id>/_metadata} as Flink does, modified at {@code second}. */
  private Path checkpoint(String job, long id, long second) throws IOException {
    Path dir = Files.createDirectories(storage.resolve(job).resolve("chk-" + id));
    Path metadata = dir.resolve("_metadata");
    try (OutputStream out = Files.newOutputStream(metadata);
        DataOutputStream data = new DataOutputStream(out)) {
      Checkpoints.storeCheckpointMetadata(new CheckpointMetadata(id, List.of(), List.of()), data);
    }
    Files.setLastModifiedTime(metadata, FileTime.fromMillis(second * 1000));
    return dir;
  }

  private static void truncate(Path checkpoint, int keepBytes) throws IOException {
    Path metadata = checkpoint.resolve("_metadata");
    FileTime modified = Files.getLastModifiedTime(metadata);
    byte[] bytes = Files.readAllBytes(metadata);
    Files.write(metadata, Arrays.copyOf(bytes, Math.min(keepBytes, bytes.length)));
    Files.setLastModifiedTime(metadata, modified);
  }

  @Test
  void restoresTheNewestReadableCheckpoint() throws IOException {
    checkpoint("job-a", 3, 100);
    Path newest = checkpoint("job-b", 7, 200);
    assertEquals(Optional.of(newest), FlinkCheckpointing.latestRetained(storage));
  }

  @Test
  void fallsBackToThePreviousRetainedCheckpointWhenTheNewestIsTruncated() throws IOException {
    Path previous = checkpoint("job-a", 3, 100);
    Path newest = checkpoint("job-b", 7, 200);
    truncate(newest, 6);
    assertTrue(FlinkCheckpointing.unreadable(newest.resolve("_metadata")).isPresent());
    assertEquals(Optional.of(previous), FlinkCheckpointing.latestRetained(storage));
  }

  @Test
  void aZeroByteMetadataIsSkippedToo() throws IOException {
    Path previous = checkpoint("job-a", 4, 100);
    truncate(checkpoint("job-a", 5, 200), 0);
    assertEquals(Optional.of(previous), FlinkCheckpointing.latestRetained(storage));
  }

  @Test
  void noReadableCheckpointMeansAFreshStart() throws IOException {
    truncate(checkpoint("job-a", 1, 100), 3);
    assertEquals(Optional.empty(), FlinkCheckpointing.latestRetained(storage));
  }
}
