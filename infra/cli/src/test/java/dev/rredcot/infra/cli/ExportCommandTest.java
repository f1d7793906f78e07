package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.testing.RepositoryFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export-hf} on the repository's BabyLlama: a directory {@code --model} opens as Llama. */
class ExportCommandTest {
  @TempDir Path tempDir;

  @Test
  void writesAHuggingFaceDirectoryThatModelOpens() throws Exception {
    Path out = tempDir.resolve("hf");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "export-hf",
            "--model",
            RepositoryFiles.babyLlama().toString(),
            "--out",
            out.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(Files.isRegularFile(out.resolve("config.json")), run.out());
    assertEquals(LlamaCausalLm.HUGGING_FACE_KIND, BackendKinds.recognise(out).orElseThrow());
    try (PolicyBackend opened = BackendKinds.open(out)) {
      assertInstanceOf(LlamaCausalLm.class, opened);
    }
  }

  @Test
  void refusesANonEmptyOutputDirectory() throws Exception {
    Files.writeString(tempDir.resolve("keep.txt"), "mine");
    CliRun run =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "export-hf",
            "--model",
            RepositoryFiles.babyLlama().toString(),
            "--out",
            tempDir.toString());
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains("is not empty"), run.toString());
  }
}
