package dev.rredcot.model.checkpoint;

import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations of a {@link CheckpointStore}: owner-only writes that are fsynced, digests,
 * directory fsyncs, recursive deletion and the refusal of symbolic links.
 */
final class StoreFiles {
  private static final Logger LOG = LoggerFactory.getLogger(StoreFiles.class);

  private StoreFiles() {}

  /**
   * Refuses a checkpoint directory that is, or holds, a symbolic link: a link could make a verified
   * checkpoint read any file the process can (the digest would be that file's).
   */
  static void refuseLinks(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new CheckpointVerificationException(dir + " is a symbolic link, not a checkpoint");
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Iterator<Path> it = walk.iterator(); it.hasNext(); ) {
        Path entry = it.next();
        if (Files.isSymbolicLink(entry)) {
          throw new CheckpointVerificationException(
              dir + ": " + relativeName(dir, entry) + " is a symbolic link; checkpoints hold none");
        }
      }
    } catch (NoSuchFileException e) {
      throw new CheckpointVerificationException(dir + ": no such checkpoint directory", e);
    } catch (UncheckedIOException e) {
      throw new CheckpointVerificationException(dir + ": cannot list (" + e.getCause() + ")", e);
    }
  }

  static void writeSynced(Path file, byte[] bytes, Path dir) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            OwnerOnlyFiles.fileAttributes(dir))) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
  }

  static List<Path> listFiles(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static String relativeName(Path dir, Path file) {
    return dir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }

  static String sha256AndSync(Path file) throws IOException {
    MessageDigest digest = sha256();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      hashChannel(channel, digest);
      channel.force(true);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      hashChannel(channel, digest);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void hashChannel(FileChannel channel, MessageDigest digest) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    while (channel.read(buffer) >= 0) {
      buffer.flip();
      digest.update(buffer);
      buffer.clear();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  static void syncDirectories(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path sub : walk.filter(Files::isDirectory).toList()) {
        syncDirectory(sub);
      }
    }
  }

  /**
   * Fsyncs a directory so created and renamed entries survive a crash (a no-op where unsupported).
   */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms (Windows) cannot open directories; durability is then best effort.
      LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }
}
