package dev.rredcot.infra.config;

/** A configuration file that cannot be used: unreadable, malformed, or naming an unknown key. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
