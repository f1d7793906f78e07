package dev.rredcot.model.backend;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One kind of model directory a {@link PolicyBackend} can be opened from, recognised by the files
 * the directory contains (e.g. the built-in checkpoint's {@code model.params}); registered in
 * {@code BackendKinds} (loading package) (which imports this package, not the other way).
 */
public interface BackendKind {

  /** Short name for messages and {@code --help}, e.g. {@code builtin}. */
  String name();

  /** What a directory of this kind contains, for the error that lists the kinds. */
  String expectedFiles();

  /** Whether {@code dir} holds a model of this kind (looks at file names only). */
  boolean recognises(Path dir);

  /**
   * Opens the model in {@code dir}.
   *
   * @throws IOException when the files cannot be read or verified
   */
  PolicyBackend open(Path dir) throws IOException;
}
