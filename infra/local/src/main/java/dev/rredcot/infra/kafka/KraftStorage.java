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

  private static String scrub(String text, LocalBrokerSecurity security) {
    return security == null ? text : security.scrub(text);
  }

  /** True if the directory already holds formatted KRaft metadata. */
  static boolean isFormatted(Path dataDir) {
    return Files.isRegularFile(dataDir.resolve("meta.properties"));
  }

  /**
   * Formats {@code dataDir} (named in {@code propertiesFile}'s {@code log.dirs}) with a new random
   * cluster id, unless it is already formatted.
   */
  static void formatIfNeeded(Path dataDir, Path propertiesFile) {
    formatIfNeeded(dataDir, propertiesFile, null);
  }

  /**
   * As {@link #formatIfNeeded(Path, Path)}, creating the SCRAM users of {@code security} (if not
   * null) in the new cluster's metadata ({@code kafka-storage format --add-scram}).
   */
  static void formatIfNeeded(Path dataDir, Path propertiesFile, LocalBrokerSecurity security) {
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
      java.util.List<String> args =
          new java.util.ArrayList<>(
              java.util.List.of(
                  "format",
                  "-t",
                  clusterId,
                  "-c",
                  propertiesFile.toString(),
                  "--ignore-formatted"));
      if (security != null) {
        for (String credential : security.scramCredentialArguments()) {
          args.add("--add-scram");
          args.add(credential);
        }
      }
      exitCode = StorageTool.execute(args.toArray(String[]::new), out);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot format Kafka storage in " + dataDir + ": " + scrub(e.getMessage(), security));
    }
    if (exitCode != 0) {
      throw new IllegalStateException(
          "cannot format Kafka storage in "
              + dataDir
              + " (exit code "
              + exitCode
              + "): "
              + scrub(output.toString(StandardCharsets.UTF_8).trim(), security));
    }
  }
}
