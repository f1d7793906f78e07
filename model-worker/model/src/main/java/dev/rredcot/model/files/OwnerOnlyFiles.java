package dev.rredcot.model.files;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates directories and files that only their owner can read (0700 directories, 0600 files) where
 * the file system has POSIX permissions; elsewhere (Windows) the platform's defaults apply.
 *
 * <p>Checkpoints, broker data and client credentials live under {@code $RREDCOT_HOME}; the default
 * umask would leave them readable by every local user.
 */
public final class OwnerOnlyFiles {
  private static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private OwnerOnlyFiles() {}

  /**
   * Creates {@code dir} and its missing parents as owner-only directories; existing ones are left
   * as they are (they may be shared on purpose).
   */
  public static Path createDirectories(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    if (Files.isDirectory(absolute)) {
      return dir;
    }
    Path parent = absolute.getParent();
    if (parent != null && !Files.exists(parent)) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(absolute, directoryAttributes(absolute));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(absolute)) {
        throw e;
      }
    }
    return dir;
  }

  /** Creates one new owner-only directory (fails if it exists). */
  public static Path createDirectory(Path dir) throws IOException {
    return Files.createDirectory(dir, directoryAttributes(dir));
  }

  /** Makes an existing file or directory owner-only. */
  public static void restrict(Path path) throws IOException {
    if (isPosix(path)) {
      Files.setPosixFilePermissions(path, Files.isDirectory(path) ? DIRECTORY : FILE);
    }
  }

  /** Writes {@code bytes} to {@code file}, replacing it, readable by the owner only. */
  public static void write(Path file, byte[] bytes) throws IOException {
    Files.deleteIfExists(file);
    if (isPosix(file.toAbsolutePath().getParent())) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
    }
    Files.write(file, bytes);
    restrict(file);
  }

  /**
   * The attributes of a new owner-only file in {@code dir}'s file system (none where not POSIX).
   */
  public static FileAttribute<?>[] fileAttributes(Path dir) {
    return isPosix(dir)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }

  private static FileAttribute<?>[] directoryAttributes(Path dir) {
    Path probe = dir.toAbsolutePath().getParent();
    return probe != null && isPosix(probe)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY)}
        : new FileAttribute<?>[0];
  }

  private static boolean isPosix(Path path) {
    return path != null && path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
