package dev.rredcot.infra.config;

/** Where an effective option value came from, in rising precedence. */
public enum Origin {
  /** The option's own default (or what the command computes when it is unset). */
  DEFAULT,
  /** The configuration file. */
  FILE,
  /** An environment variable. */
  ENV,
  /** The command line. */
  FLAG;

  /** Lower-case name, as {@code rredcot config} prints it. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
