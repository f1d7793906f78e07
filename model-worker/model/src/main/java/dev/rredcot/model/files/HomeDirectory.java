package dev.rredcot.model.files;

import java.nio.file.Path;

/**
 * Where the project keeps its local state: {@code $RREDCOT_HOME}, else {@code ~/.rredcot}. The one
 * place that reads the variable; the CLI's home layout and the credit job's default checkpoint
 * store both start here.
 */
public final class HomeDirectory {
  /** Environment variable that moves the state directory. */
  public static final String ENVIRONMENT_VARIABLE = "RREDCOT_HOME";

  private HomeDirectory() {}

  /** The home named by {@code $RREDCOT_HOME}, else {@code ~/.rredcot}, absolute. */
  public static Path resolve() {
    String configured = System.getenv(ENVIRONMENT_VARIABLE);
    Path root =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of(System.getProperty("user.home"), ".rredcot");
    return root.toAbsolutePath().normalize();
  }

  /**
   * The trainer's checkpoint signing key under the home ({@code keys/checkpoint-signing.key},
   * generated 0600 on a trainer's first start).
   */
  public static Path signingKey(Path home) {
    return home.resolve("keys").resolve("checkpoint-signing.key");
  }

  /**
   * The trusted public keys of checkpoint readers under the home: the public file the trainer
   * writes beside its key ({@code keys/checkpoint-signing.key.pub}), one key per line.
   */
  public static Path trustedKeys(Path home) {
    return home.resolve("keys").resolve("checkpoint-signing.key.pub");
  }

  /** The checkpoint store under the home. */
  public static Path checkpoints(Path home) {
    return home.resolve("checkpoints");
  }
}
