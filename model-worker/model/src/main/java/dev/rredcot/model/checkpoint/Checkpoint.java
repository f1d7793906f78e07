package dev.rredcot.model.checkpoint;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A verified policy checkpoint directory.
 *
 * @param version policy version
 * @param parentVersion version it was trained from, or null for an initial checkpoint
 * @param dir the checkpoint directory
 * @param manifestSha256 hex SHA-256 of its {@code manifest.json}
 * @param metrics training metrics recorded with it
 * @param createdAt when it was written
 */
public record Checkpoint(
    long version,
    Long parentVersion,
    Path dir,
    String manifestSha256,
    Map<String, Double> metrics,
    Instant createdAt) {

  public Checkpoint {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(manifestSha256, "manifestSha256");
    Objects.requireNonNull(createdAt, "createdAt");
    metrics = Map.copyOf(metrics);
  }

  /** File URI of the checkpoint directory. */
  public URI uri() {
    return dir.toUri();
  }

  /** Path of a file inside the checkpoint directory. */
  public Path file(String name) {
    return dir.resolve(name);
  }
}
