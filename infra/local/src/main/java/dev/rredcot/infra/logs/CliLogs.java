package dev.rredcot.infra.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Where the CLI's log events go (configured in {@code logback.xml}, adjusted per command here): the
 * console shows warnings and errors, or every event with {@code --verbose}; a long-running command
 * also writes every event to {@code <name>.log} (timestamped lines) and {@code <name>.jsonl} (one
 * JSON object per event) in its log directory.
 */
public final class CliLogs {
  /** Overrides the log directory of a command (the demo points its pipeline process there). */
  public static final String LOG_DIR_VARIABLE = "RREDCOT_LOG_DIR";

  private static final String CONSOLE_APPENDER = "CONSOLE";
  private static final String FILE_APPENDER_PREFIX = "FILE ";
  private static final String CUDA_PROBE_LOGGER = "ai.djl.util.cuda.CudaUtils";
  private static final String LINE_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} [%thread] [%level] %logger{0} - %msg%n";

  private CliLogs() {}

  /**
   * The console shows every event (INFO and up) when {@code verbose}, else warnings and errors; on
   * a machine without an NVIDIA driver, DJL's CUDA probe is quieted ({@link #quietCudaProbe}).
   */
  public static void console(boolean verbose) {
    Optional<LoggerContext> context = context();
    if (context.isEmpty()) {
      return;
    }
    if (!hasNvidiaDriver()) {
      quietCudaProbe(context.get());
    }
    Appender<ILoggingEvent> console = root(context.get()).getAppender(CONSOLE_APPENDER);
    if (console == null) {
      return;
    }
    ThresholdFilter threshold = new ThresholdFilter();
    threshold.setLevel((verbose ? Level.INFO : Level.WARN).levelStr);
    threshold.setContext(context.get());
    threshold.start();
    console.clearAllFilters();
    console.addFilter(threshold);
  }

  /**
   * DJL's engine probes for CUDA at start: with the CUDA runtime installed but no driver it warns
   * "Failed to detect GPU count: CUDA driver version is insufficient" on every start of a CPU-only
   * machine. Only there is that warning turned down to errors: with a driver present, the same
   * message is a real misconfiguration and stays visible.
   */
  static void quietCudaProbe(LoggerContext context) {
    context.getLogger(CUDA_PROBE_LOGGER).setLevel(Level.ERROR);
  }

  /** Whether the kernel has an NVIDIA driver loaded (its proc entry or control device exists). */
  static boolean hasNvidiaDriver() {
    return Files.exists(Path.of("/proc/driver/nvidia")) || Files.exists(Path.of("/dev/nvidiactl"));
  }

  /** {@code $RREDCOT_LOG_DIR} when set, else {@code fallback}. */
  public static Path directory(Path fallback) {
    String fromEnvironment = System.getenv(LOG_DIR_VARIABLE);
    return fromEnvironment == null || fromEnvironment.isBlank()
        ? fallback
        : Path.of(fromEnvironment);
  }

  /**
   * From now on writes every event to {@code dir/name.log} and {@code dir/name.jsonl} (appending)
   * instead of the files named before (one command per process; tests run several); returns the
   * {@code .log} file, or empty when logback is not the logging backend.
   */
  public static Optional<Path> toFiles(Path dir, String name) {
    Optional<LoggerContext> context = context();
    if (context.isEmpty()) {
      return Optional.empty();
    }
    try {
      OwnerOnlyFiles.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log directory " + dir, e);
    }
    Path lines = dir.resolve(name + ".log");
    PatternLayoutEncoder lineEncoder = new PatternLayoutEncoder();
    lineEncoder.setPattern(LINE_PATTERN);
    JsonEncoder jsonEncoder = new JsonEncoder();
    jsonEncoder.setWithSequenceNumber(false);
    jsonEncoder.setWithNanoseconds(false);
    jsonEncoder.setWithContext(false);
    // The message as written, not its template and arguments.
    jsonEncoder.setWithFormattedMessage(true);
    jsonEncoder.setWithMessage(false);
    jsonEncoder.setWithArguments(false);
    Logger root = root(context.get());
    List<Appender<ILoggingEvent>> previous = new ArrayList<>();
    root.iteratorForAppenders().forEachRemaining(previous::add);
    for (Appender<ILoggingEvent> appender : previous) {
      if (appender.getName() != null && appender.getName().startsWith(FILE_APPENDER_PREFIX)) {
        root.detachAppender(appender);
        appender.stop();
      }
    }
    root.addAppender(fileAppender(context.get(), lines, lineEncoder));
    root.addAppender(fileAppender(context.get(), dir.resolve(name + ".jsonl"), jsonEncoder));
    return Optional.of(lines);
  }

  private static FileAppender<ILoggingEvent> fileAppender(
      LoggerContext context, Path file, Encoder<ILoggingEvent> encoder) {
    encoder.setContext(context);
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(FILE_APPENDER_PREFIX + file);
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    return appender;
  }

  private static Logger root(LoggerContext context) {
    return context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** Empty when another slf4j provider is bound (a test class path, say). */
  private static Optional<LoggerContext> context() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    return factory instanceof LoggerContext context ? Optional.of(context) : Optional.empty();
  }
}
