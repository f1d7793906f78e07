package dev.rredcot.model.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Trainer progress files, one per checkpoint version ({@code progress-v000000000042.json}), each
 * written atomically (temp file, fsync, atomic rename, fsync of the directory). The trainer writes
 * version {@code v}'s progress durably before checkpoint {@code v}, so every checkpoint it wrote
 * has its progress, also after a power loss; a progress file without its checkpoint is an
 * interrupted write and is deleted by {@link #retainOnly}.
 */
public final class ProgressStore {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "progress-v";
  private static final String SUFFIX = ".json";
  private static final String TEMP_PREFIX = ".tmp-";

  private final Path dir;

  /** A store in {@code dir} (created on first write). */
  public ProgressStore(Path dir) {
    this.dir = dir;
  }

  /** The directory of the progress files. */
  public Path dir() {
    return dir;
  }

  /** Writes the progress of {@code progress.checkpointVersion()} atomically, replacing any. */
  public void write(TrainerProgress progress) throws IOException {
    Files.createDirectories(dir);
    Path target = file(progress.checkpointVersion());
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID() + SUFFIX);
    try {
      Files.write(temp, JSON.writeValueAsBytes(progress), StandardOpenOption.CREATE_NEW);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the progress directory " + dir + " must support atomic renames", e);
      }
      // The rename is only durable once the directory is: without this a power loss could leave
      // checkpoint v on disk without its progress.
      CheckpointStore.syncDirectory(dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** The progress written for {@code checkpointVersion}, if any. */
  public Optional<TrainerProgress> read(long checkpointVersion) throws IOException {
    try {
      byte[] bytes = Files.readAllBytes(file(checkpointVersion));
      TrainerProgress progress = JSON.readValue(bytes, TrainerProgress.class);
      if (progress.checkpointVersion() != checkpointVersion) {
        throw new IOException(
            file(checkpointVersion)
                + " holds the progress of version "
                + progress.checkpointVersion());
      }
      return Optional.of(progress);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Deletes the progress files of every version not in {@code versions}; returns how many. */
  public int retainOnly(Collection<Long> versions) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> doomed = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(
          f -> {
            String name = f.getFileName().toString();
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
              long version =
                  Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
              if (!versions.contains(version)) {
                doomed.add(f);
              }
            }
          });
    }
    for (Path f : doomed) {
      Files.deleteIfExists(f);
    }
    return doomed.size();
  }

  /**
   * Deletes the temp files ({@code .tmp-*}) of writes that were killed midway; call only from the
   * store's single writer before it writes.
   *
   * @return how many were deleted
   */
  public int deleteLeftovers() throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> leftovers;
    try (Stream<Path> files = Files.list(dir)) {
      leftovers = files.filter(f -> f.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
    }
    for (Path f : leftovers) {
      Files.deleteIfExists(f);
    }
    return leftovers.size();
  }

  /** The file of {@code version}'s progress (which may not exist). */
  public Path file(long version) {
    return dir.resolve(String.format("%s%012d%s", PREFIX, version, SUFFIX));
  }
}
