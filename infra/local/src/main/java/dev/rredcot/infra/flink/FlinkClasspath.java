package dev.rredcot.infra.flink;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * The classpath of the standalone cluster's JVMs: Flink's own jars and the libraries Flink's
 * runtime needs, picked from this JVM's classpath (Maven's local repository layout), as {@code
 * lib/} of a Flink distribution would hold them. The job's classes are not on it: they come in the
 * job jar.
 */
public final class FlinkClasspath {
  // Group directories of Flink and of its runtime's dependencies (flink-runtime, flink-clients,
  // flink-streaming-java, flink-runtime-web, flink-metrics-prometheus), the logging binding (the
  // CLI's logback, configured by the cluster's conf/logback.xml; without it SLF4J falls back to no
  // output at all), and
  // DJL with its dependencies: a JVM loads a native library (PyTorch's) in one class loader only,
  // so DJL must come from the cluster's class loader, not from each job's (see FlinkClusterConfig).
  private static final Pattern CLUSTER_JAR =
      Pattern.compile(
          "/(org/apache/flink|com/esotericsoftware|org/objenesis|com/twitter|org/javassist"
              + "|tools/profiler|commons-cli|org/snakeyaml|org/apache/commons|commons-collections"
              + "|commons-io|org/slf4j|ch/qos/logback|com/google/code/findbugs|org/xerial/snappy"
              + "|org/lz4"
              + "|ai/djl|com/google/code/gson|net/java/dev/jna)/[^:]*\\.jar$");

  private FlinkClasspath() {}

  /** The cluster's classpath out of this JVM's. */
  public static String ofThisJvm() {
    return select(System.getProperty("java.class.path"));
  }

  /**
   * The cluster's entries of {@code classpath}; a jar whose manifest lists the real classpath (as
   * Surefire's booter jar does) stands for the entries it lists.
   */
  static String select(String classpath) {
    Set<String> selected = new LinkedHashSet<>();
    for (String entry : expand(classpath)) {
      if (CLUSTER_JAR.matcher(entry.replace(File.separatorChar, '/')).find()) {
        selected.add(entry);
      }
    }
    if (selected.stream().noneMatch(entry -> entry.contains("flink-runtime-"))) {
      throw new IllegalStateException(
          "Flink's runtime is not on this classpath; cannot start a Flink cluster from it");
    }
    return String.join(File.pathSeparator, selected);
  }

  private static List<String> expand(String classpath) {
    List<String> entries = new ArrayList<>();
    for (String entry : classpath.split(Pattern.quote(File.pathSeparator))) {
      entries.add(entry);
      Path path = Path.of(entry);
      // Jars of the local repository are libraries; only a launcher's jar lists a classpath.
      if (entry.endsWith(".jar") && !entry.contains("/repository/") && Files.isRegularFile(path)) {
        entries.addAll(manifestClassPath(path));
      }
    }
    return entries;
  }

  private static List<String> manifestClassPath(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
      if (listed == null || listed.isBlank()) {
        return List.of();
      }
      List<String> entries = new ArrayList<>();
      for (String url : listed.trim().split("\\s+")) {
        URI uri = jar.toUri().resolve(url);
        entries.add("file".equals(uri.getScheme()) ? Path.of(uri).toString() : url);
      }
      return entries;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the manifest of " + jar, e);
    }
  }
}
