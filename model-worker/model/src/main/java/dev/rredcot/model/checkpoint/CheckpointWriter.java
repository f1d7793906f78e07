package dev.rredcot.model.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** Writes the caller's files (model parameters, configuration, tokenizer) into a checkpoint. */
@FunctionalInterface
public interface CheckpointWriter {

  /** Writes files into {@code dir}, a fresh empty directory; must not write manifest.json. */
  void writeFiles(Path dir) throws IOException;
}
