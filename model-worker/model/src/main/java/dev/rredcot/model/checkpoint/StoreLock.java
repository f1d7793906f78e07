package dev.rredcot.model.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive writer lock of a {@link CheckpointStore}: an OS file lock on {@code <root>/.lock},
 * held while open, so that two trainers never write versions (and progress) into the same store.
 * The OS releases it when the process dies, so a killed trainer leaves no stale lock.
 */
public final class StoreLock implements AutoCloseable {

  /** Name of the lock file in the store's root. */
  public static final String FILE_NAME = ".lock";

  private final FileChannel channel;
  private final FileLock lock;
  private final Path file;

  private StoreLock(FileChannel channel, FileLock lock, Path file) {
    this.channel = channel;
    this.lock = lock;
    this.file = file;
  }

  /**
   * Takes the lock of the store rooted at {@code root} without waiting.
   *
   * @throws StoreLockedException when another process, or another lock in this JVM, holds it
   */
  static StoreLock acquire(Path root) throws IOException {
    Files.createDirectories(root);
    Path file = root.resolve(FILE_NAME);
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      // The JVM tracks its own locks: a second trainer in this process lands here.
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new StoreLockedException(
          "checkpoint store "
              + root
              + " is in use by another trainer (lock "
              + file
              + " is held); stop that trainer or use another --store");
    }
    return new StoreLock(channel, lock, file);
  }

  /** The lock file. */
  public Path file() {
    return file;
  }

  /** Releases the lock. */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
