package dev.rredcot.infra.kafka;

import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;

/** Formats a KRaft data directory once, with Kafka's own {@code kafka-storage format} tool. */
final class KraftStorage {
  private KraftStorage() {}

  /** True if the directory already holds formatted KRaft metadata. */
  static boolean isFormatted(Path dataDir) {
    return Files.isRegularFile(dataDir.resolve("meta.properties"));
  }

  /**
   * Formats {@code dataDir} (named in {@code propertiesFile}'s {@code log.dirs}) with a new random
   * cluster id, unless it is already formatted.
   */
  static void formatIfNeeded(Path dataDir, Path propertiesFile) {
    if (isFormatted(dataDir)) {
      return;
    }
    try {
      OwnerOnlyFiles.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exitCode;
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      String clusterId = Uuid.randomUuid().toString();
      exitCode =
          StorageTool.execute(
              new String[] {
                "format", "-t", clusterId, "-c", propertiesFile.toString(), "--ignore-formatted"
              },
              out);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot format Kafka storage in " + dataDir + ": " + e.getMessage(), e);
    }
    if (exitCode != 0) {
      throw new IllegalStateException(
          "cannot format Kafka storage in "
              + dataDir
              + " (exit code "
              + exitCode
              + "): "
              + output.toString(StandardCharsets.UTF_8).trim());
    }
  }
}
