package dev.rredcot.infra.demo;

import dev.rredcot.infra.process.OwnSession;
import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A component of the demo (or of a chaos run) running in a JVM of its own, with this JVM's java,
 * classpath and JVM flags (Avro trusted packages, the JDK 17 opens Flink needs), in a session of
 * its own ({@link OwnSession}: a terminal's Ctrl-C reaches only the parent, which stops it); its
 * output goes to a log file. Stops with SIGTERM, then SIGKILL after a bound, so no process outlives
 * its run.
 */
public final class ChildJvm implements AutoCloseable {

  /**
   * The CLI's entry point, by name: the lab starts the loop's services as commands of the CLI in
   * JVMs of their own, and names the class rather than importing it (the CLI module sits above the
   * lab and is on every child's classpath).
   */
  public static final String CLI_MAIN_CLASS = "dev.rredcot.infra.cli.RredcotCli";

  private final String name;
  private final Process process;
  private final Path logFile;

  private ChildJvm(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  /** Starts {@code mainClass} with {@code args}; its output goes to {@code logFile}. */
  public static ChildJvm start(String name, String mainClass, List<String> args, Path logFile) {
    return start(name, mainClass, args, logFile, Map.of());
  }

  /**
   * Starts {@code mainClass} with {@code args} and extra {@code environment} variables; its output
   * is appended to {@code logFile} (so the logs of a restarted component stay in one file).
   */
  public static ChildJvm start(
      String name,
      String mainClass,
      List<String> args,
      Path logFile,
      Map<String, String> environment) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    try {
      OwnerOnlyFiles.createDirectories(logFile.getParent());
      ProcessBuilder builder =
          new ProcessBuilder(OwnSession.command(command))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.environment().putAll(environment);
      Process process = builder.start();
      return new ChildJvm(name, process, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + " process", e);
    }
  }

  /** The process id. */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit status; only once the process has exited. */
  public int exitValue() {
    return process.exitValue();
  }

  /** SIGKILL, as a crash would end it: no shutdown hook runs. Waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Throws with the log's tail if the process has exited. */
  void failIfExited() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "the "
              + name
              + " process exited with code "
              + process.exitValue()
              + "; last lines of "
              + logFile
              + ":\n"
              + String.join("\n", logTail(15)));
    }
  }

  /** The last {@code lines} lines of the log. */
  public List<String> logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile);
      return all.subList(Math.max(0, all.size() - lines), all.size());
    } catch (IOException e) {
      return List.of("(cannot read " + logFile + ": " + e.getMessage() + ")");
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(Duration.ofSeconds(20).toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
  }
}
