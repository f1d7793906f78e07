package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.pipelines.CreditPipelineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --model DIR|URL} reaches the credit job as Beam options and is checked where it cannot
 * work.
 */
class ModelOptionTest {
  @TempDir Path tempDir;

  private Object parse(String... args) {
    CommandLine.ParseResult result =
        RredcotCli.commandLine(RredcotHome.at(tempDir)).parseArgs(args);
    return result.subcommand().commandSpec().userObject();
  }

  @Test
  void pipelinePassesModelAndTokenizerAsBeamOptions() {
    PipelineCommand command =
        (PipelineCommand)
            parse(
                "pipeline",
                "--bootstrap",
                "h:1",
                "--model",
                "http://127.0.0.1:8000",
                "--model-tokenizer",
                "/models/tok");
    List<String> args = command.jobArgs();
    assertTrue(args.contains("--model=http://127.0.0.1:8000"), "" + args);
    assertTrue(args.contains("--modelTokenizer=/models/tok"), "" + args);
    CreditPipelineOptions options =
        org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
            .as(CreditPipelineOptions.class);
    assertEquals("http://127.0.0.1:8000", options.getModel());
    assertEquals("/models/tok", options.getModelTokenizer());
  }

  @Test
  void withoutModelTheJobUsesTheStore() {
    List<String> args = ((PipelineCommand) parse("pipeline", "--bootstrap", "h:1")).jobArgs();
    assertTrue(args.stream().noneMatch(arg -> arg.startsWith("--model")), "" + args);
  }

  @Test
  void evalCreditRefusesACompletionsUrlAndADirectoryWithoutAModel() throws Exception {
    CliRun url =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "eval",
            "credit",
            "--out",
            tempDir.resolve("out").toString(),
            "--model",
            "http://127.0.0.1:8000");
    assertEquals(2, url.exitCode(), url.toString());
    assertTrue(url.err().contains("serves scoring only"), url.err());
    Path empty = Files.createDirectories(tempDir.resolve("empty"));
    CliRun none =
        CliRun.execute(
            RredcotHome.at(tempDir),
            "eval",
            "credit",
            "--out",
            tempDir.resolve("out").toString(),
            "--model",
            empty.toString());
    assertEquals(2, none.exitCode(), none.toString());
    assertTrue(none.err().contains("holds no model"), none.err());
  }
}
