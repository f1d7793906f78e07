package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code produce-rollouts --model}: what cannot sample the asked family is a one-line usage error
 * before any broker is looked for (the bootstrap below listens nowhere). Sampling itself runs
 * against a broker in tests' {@code BabyLlamaFamilyKafkaFlinkTest}.
 */
class ProduceRolloutsModelOptionTest {
  private static final String MODEL = "../models/babyllama-tok105";
  private static final String STORIES = "../infra/examples/babyllama-stories.jsonl";

  @TempDir Path tempDir;

  private CliRun produce(String... args) {
    String[] all = new String[args.length + 5];
    all[0] = "produce-rollouts";
    all[1] = "--count";
    all[2] = "8";
    all[3] = "--bootstrap";
    all[4] = "127.0.0.1:1";
    System.arraycopy(args, 0, all, 5, args.length);
    return CliRun.execute(RredcotHome.at(tempDir), all);
  }

  @Test
  void aJsonlFamilyWithoutAModelSaysToSampleItWithOne() {
    CliRun run = produce("--task", STORIES);
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(
        run.err()
            .contains(
                "babyllama-stories is a JSONL family: sample its rollouts with a model that can"
                    + " write it, --model DIR"),
        run.err());
  }

  @Test
  void aModelThatCannotWriteTheFamilyIsRefused() {
    // BabyLlama's vocabulary has no newline and no '=': it cannot write arithmetic.
    CliRun run = produce("--model", MODEL, "--task", "arith");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("cannot write arith problems"), run.err());
  }

  @Test
  void optionsOfSyntheticRolloutsAreRefusedWithAModel() {
    for (String option : new String[] {"--policy-version=3", "--step-error-rate=0.5"}) {
      CliRun run = produce("--model", MODEL, "--task", STORIES, option);
      assertEquals(2, run.exitCode(), option + ": " + run);
      assertTrue(
          run.err().contains(option.split("=")[0] + " is for synthetic rollouts"), run.err());
    }
  }

  @Test
  void samplingOptionsAreRefusedWithoutAModel() {
    CliRun run = produce("--temperature=0.7");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--temperature is for rollouts sampled by a model"), run.err());
  }

  @Test
  void aGroupOfOneIsRefusedWithAModel() {
    CliRun run = produce("--model", MODEL, "--task", STORIES, "--group-size", "1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--group-size must be at least 2 with --model"), run.err());
  }

  @Test
  void aDirectoryWithoutAModelIsRefused() {
    CliRun run = produce("--model", tempDir.toString(), "--task", STORIES);
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--model: no model in " + tempDir), run.err());
  }
}
