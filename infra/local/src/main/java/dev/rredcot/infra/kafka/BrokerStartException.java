package dev.rredcot.infra.kafka;

import java.nio.file.Path;
import java.util.List;

/**
 * The local broker did not come up (taken port, crash during start, timeout); carries the last
 * lines of its log so the cause can be read without opening the file.
 */
public final class BrokerStartException extends RuntimeException {
  private final List<String> logTail;
  private final Path logFile;

  public BrokerStartException(String message, Path logFile, List<String> logTail) {
    super(message);
    this.logFile = logFile;
    this.logTail = List.copyOf(logTail);
  }

  public BrokerStartException(String message, Path logFile, List<String> logTail, Throwable cause) {
    super(message, cause);
    this.logFile = logFile;
    this.logTail = List.copyOf(logTail);
  }

  /** The last lines of the broker's log at the time of the failure. */
  public List<String> logTail() {
    return logTail;
  }

  public Path logFile() {
    return logFile;
  }
}
