package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FlinkSubmissionTest {
  @TempDir Path tempDir;

  private List<String> jobArgs(String... args) {
    CommandLine.ParseResult result =
        RredcotCli.commandLine(RredcotHome.at(tempDir)).parseArgs(args);
    return ((PipelineCommand) result.subcommand().commandSpec().userObject()).jobArgs();
  }

  @Test
  void aClusterMasterStagesTheJobJarAndFollowsABoundedRun() {
    List<String> args =
        jobArgs(
            "pipeline",
            "--bootstrap",
            "h:1",
            "--flink-master=127.0.0.1:18081",
            "--max-records",
            "5");
    assertTrue(args.contains("--filesToStage=" + FlinkSubmission.jobJar()), "" + args);
    assertTrue(args.contains("--jobName=rredcot-credit"), "" + args);
    assertTrue(args.stream().noneMatch(arg -> arg.startsWith("--attachedMode")), "" + args);
    assertTrue(args.stream().noneMatch(arg -> arg.startsWith("--flinkConfDir")), "" + args);
  }

  @Test
  void anUnboundedRunOnAClusterIsSubmittedDetachedWithCheckpoints() {
    List<String> args =
        jobArgs("pipeline", "--bootstrap", "h:1", "--flink-master", "127.0.0.1:18081");
    assertTrue(args.contains("--attachedMode=false"), "" + args);
    assertTrue(args.contains("--checkpointingInterval=30000"), "" + args);
  }

  @Test
  void theEmbeddedClusterAndTheUsersOwnJarAreLeftAlone() {
    List<String> embedded = jobArgs("pipeline", "--bootstrap", "h:1", "--max-records", "5");
    assertTrue(embedded.stream().noneMatch(arg -> arg.startsWith("--filesToStage")), "" + embedded);
    assertTrue(embedded.stream().noneMatch(arg -> arg.startsWith("--jobName")), "" + embedded);
    List<String> own =
        jobArgs(
            "pipeline",
            "--bootstrap",
            "h:1",
            "--flink-master=flink:8081",
            "--files-to-stage=/jobs/credit.jar",
            "--attached-mode=true");
    assertEquals(1, own.stream().filter(arg -> arg.startsWith("--filesToStage")).count(), "" + own);
    assertTrue(own.contains("--attachedMode=true"), "" + own);
    assertFalse(own.contains("--attachedMode=false"), "" + own);
  }
}
