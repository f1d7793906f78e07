package dev.rredcot.infra.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The size on disk of a Flink job's retained checkpoints under its storage path ({@code <path>/<job
 * id>/chk-<n>/...}), read while Flink writes and deletes them: a file or directory that disappears
 * while it is counted is left out, and a {@code chk-<n>} without {@code _metadata} is still being
 * written and is not a completed checkpoint.
 */
public final class FlinkCheckpointBytes {
  private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");

  private FlinkCheckpointBytes() {}

  /**
   * The newest completed checkpoint under {@code storage}: its number and its bytes (every file in
   * its {@code chk-<n>} directory; the heap state backend writes no shared files).
   *
   * @param number the checkpoint's number
   * @param bytes its size on disk
   */
  public record Checkpoint(long number, long bytes) {}

  /** The newest completed checkpoint, if any. */
  public static Optional<Checkpoint> newest(Path storage) {
    if (!Files.isDirectory(storage)) {
      return Optional.empty();
    }
    Path newest = null;
    long newestNumber = -1;
    try (Stream<Path> jobs = Files.list(storage)) {
      for (Path job : jobs.filter(Files::isDirectory).toList()) {
        try (Stream<Path> checkpoints = Files.list(job)) {
          for (Path dir : checkpoints.toList()) {
            Matcher m = CHECKPOINT_DIR.matcher(dir.getFileName().toString());
            if (m.matches() && Files.isRegularFile(dir.resolve("_metadata"))) {
              long number = Long.parseLong(m.group(1));
              if (number > newestNumber) {
                newestNumber = number;
                newest = dir;
              }
            }
          }
        } catch (NoSuchFileException | UncheckedIOException gone) {
          // A job directory deleted while listed.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + storage, e);
    }
    if (newest == null) {
      return Optional.empty();
    }
    return Optional.of(new Checkpoint(newestNumber, bytes(newest)));
  }

  /** The bytes of every regular file under {@code dir} (0 when it does not exist). */
  public static long bytes(Path dir) {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.mapToLong(FlinkCheckpointBytes::sizeOrZero).sum();
    } catch (IOException | UncheckedIOException e) {
      // Flink deleted a checkpoint while it was walked: count again.
      try (Stream<Path> files = Files.walk(dir)) {
        return files.mapToLong(FlinkCheckpointBytes::sizeOrZero).sum();
      } catch (IOException | UncheckedIOException again) {
        return -1;
      }
    }
  }

  private static long sizeOrZero(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
