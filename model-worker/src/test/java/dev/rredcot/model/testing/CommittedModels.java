package dev.rredcot.model.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real pretrained models committed to the repository, found from any module's directory. */
public final class CommittedModels {
  private CommittedModels() {}

  /**
   * {@code models/babyllama-tok105} of the repository (the BabyLlama llama2.c checkpoint), found in
   * the directory tests run in or one above it.
   *
   * @throws IllegalStateException when no directory above holds it
   */
  public static Path babyLlama() {
    Path here = Path.of("").toAbsolutePath();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("models").resolve("babyllama-tok105");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("models/babyllama-tok105 not found above " + here);
  }
}
