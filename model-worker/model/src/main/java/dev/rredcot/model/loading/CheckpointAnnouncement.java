package dev.rredcot.model.loading;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.util.Map;
import java.util.TreeMap;

/**
 * The announcement of a checkpoint on the {@code checkpoints} topic: what the trainer publishes and
 * what the followers ({@link CheckpointAdoption}) read, written in one place.
 */
public final class CheckpointAnnouncement {

  private CheckpointAnnouncement() {}

  /**
   * The announcement of {@code checkpoint}: its version, parent, location, manifest digest and
   * creation time, with its metrics and {@code extraMetrics} (which win on a shared name).
   */
  public static PolicyCheckpoint of(Checkpoint checkpoint, Map<String, Double> extraMetrics) {
    Map<String, Double> metrics = new TreeMap<>(checkpoint.metrics());
    metrics.putAll(extraMetrics);
    return PolicyCheckpoint.newBuilder()
        .setVersion(checkpoint.version())
        .setParentVersion(checkpoint.parentVersion())
        .setUri(checkpoint.uri().toString())
        .setManifestSha256(checkpoint.manifestSha256())
        .setCreatedAtMs(checkpoint.createdAt())
        .setMetrics(metrics)
        .build();
  }
}
