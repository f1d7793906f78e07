package dev.rredcot.infra.cli;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flink checkpointing of the unbounded credit job: exactly-once checkpoints on a filesystem state
 * backend, retained when the job is cancelled or its process dies, and the newest retained one
 * restored at the next start. Checkpoints also finalize the Kafka reads, which is when the job's
 * input offsets are committed to its consumer group.
 */
final class FlinkCheckpointing {
  /** Default checkpoint interval. */
  static final long DEFAULT_INTERVAL_MS = 30_000;

  private static final String METADATA = "_metadata";
  private static final Logger LOG = LoggerFactory.getLogger(FlinkCheckpointing.class);

  private FlinkCheckpointing() {}

  /**
   * Adds the checkpointing options the user did not give, with state under {@code defaultStorage};
   * unless {@code fresh}, restores the newest retained checkpoint found there.
   *
   * @return the checkpoint restored, if any
   */
  static Optional<Path> applyDefaults(BeamJobArgs args, Path defaultStorage, boolean fresh) {
    String storage = args.value("stateBackendStoragePath").orElse(uri(defaultStorage));
    args.withDefault("checkpointingInterval", DEFAULT_INTERVAL_MS)
        .withDefault("checkpointingMode", "EXACTLY_ONCE")
        .withDefault("stateBackend", "filesystem")
        .withDefault("stateBackendStoragePath", storage)
        .withDefault("externalizedCheckpointsEnabled", true)
        .withDefault("retainExternalizedCheckpointsOnCancellation", true);
    if (fresh || args.given("savepointPath")) {
      return Optional.empty();
    }
    Optional<Path> latest = localPath(storage).flatMap(FlinkCheckpointing::latestRetained);
    latest.ifPresent(checkpoint -> args.withDefault("savepointPath", uri(checkpoint)));
    return latest;
  }

  /**
   * The newest retained checkpoint under {@code storage} ({@code <job id>/chk-<n>/} with its {@code
   * _metadata}, which Flink writes last), by the time its metadata was written, whose metadata
   * Flink can read. A newer one whose metadata does not read (truncated by a full disk or a crash
   * while it was copied, zero bytes) is skipped with a warning, and the one before it restored: a
   * resume from it would otherwise fail at every start until someone deleted it by hand.
   */
  static Optional<Path> latestRetained(Path storage) {
    if (!Files.isDirectory(storage)) {
      return Optional.empty();
    }
    List<Path> newestFirst;
    try (Stream<Path> files = Files.walk(storage, 3)) {
      newestFirst =
          files
              .filter(f -> f.getFileName().toString().equals(METADATA))
              .filter(f -> f.getParent().getFileName().toString().startsWith("chk-"))
              .sorted(Comparator.comparing(FlinkCheckpointing::modified).reversed())
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list Flink checkpoints in " + storage, e);
    }
    for (Path metadata : newestFirst) {
      Optional<String> unreadable = unreadable(metadata);
      if (unreadable.isEmpty()) {
        return Optional.of(metadata.getParent());
      }
      LOG.warn(
          "not resuming from Flink checkpoint {}: its {} does not read ({}); trying the one before",
          metadata.getParent(),
          METADATA,
          unreadable.get());
    }
    return Optional.empty();
  }

  /** Why Flink's own metadata reader refuses {@code metadata}, or empty when it reads. */
  static Optional<String> unreadable(Path metadata) {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(metadata)))) {
      Checkpoints.loadCheckpointMetadata(
          in, FlinkCheckpointing.class.getClassLoader(), metadata.getParent().toString());
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.of(e.toString());
    }
  }

  private static Optional<Path> localPath(String uri) {
    if (uri.startsWith("file:")) {
      return Optional.of(Path.of(URI.create(uri)));
    }
    if (!uri.contains("://")) {
      return Optional.of(Path.of(uri));
    }
    // A remote file system (hdfs://, s3://): pass --savepoint-path to restore from it.
    return Optional.empty();
  }

  /** The file URI of {@code path}, the same whether or not the directory exists yet. */
  static String uri(Path path) {
    String uri = path.toAbsolutePath().toUri().toString();
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
