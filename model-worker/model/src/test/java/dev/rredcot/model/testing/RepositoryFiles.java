package dev.rredcot.model.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files committed to the repository outside a module (the real pretrained models, the example task
 * families), found from any module's directory however deeply the module is nested.
 */
public final class RepositoryFiles {
  private RepositoryFiles() {}

  /**
   * {@code models/babyllama-tok105} of the repository (the BabyLlama llama2.c checkpoint).
   *
   * @throws IllegalStateException when the repository does not hold it
   */
  public static Path babyLlama() {
    return path("models/babyllama-tok105");
  }

  /**
   * {@code relative} (a path from the repository's root, e.g. {@code
   * infra/examples/babyllama-stories.jsonl}).
   *
   * @throws IllegalStateException when the repository holds no such file or folder
   */
  public static Path path(String relative) {
    Path candidate = root().resolve(relative);
    if (!Files.exists(candidate)) {
      throw new IllegalStateException(relative + " not found in the repository at " + root());
    }
    return candidate;
  }

  /**
   * The repository's root: the nearest directory above the working directory that holds {@code
   * schemas/} and a {@code pom.xml}.
   *
   * @throws IllegalStateException when no directory above is one
   */
  public static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("schemas"))
          && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root above " + here);
  }
}
