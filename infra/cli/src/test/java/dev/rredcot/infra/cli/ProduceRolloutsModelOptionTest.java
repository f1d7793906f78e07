package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.schemas.Rollout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code produce-rollouts --model}: what cannot sample the asked family is a one-line usage error
 * before any broker is looked for (the bootstrap below listens nowhere), and {@code --out-file}
 * writes the sampled groups to a file without a broker. Sampling to a topic runs against a broker
 * in tests' {@code BabyLlamaFamilyKafkaFlinkTest}.
 */
class ProduceRolloutsModelOptionTest {
  private static final String MODEL = RepositoryFiles.babyLlama().toString();
  private static final String STORIES =
      RepositoryFiles.path("infra/examples/babyllama-stories.jsonl").toString();

  @TempDir Path tempDir;

  private CliRun produce(String... args) {
    return CliRun.execute(
        RredcotHome.at(tempDir),
        List.of("produce-rollouts", "--count", "8", "--bootstrap", "127.0.0.1:1"),
        args);
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
  void outFileWritesTheSampledGroupsAsRolloutRecordsWithoutABroker() throws Exception {
    Path file = tempDir.resolve("out").resolve("stories.avro");
    CliRun run =
        produce(
            "--model",
            MODEL,
            "--task",
            STORIES,
            "--group-size",
            "4",
            "--max-tokens",
            "16",
            "--seed",
            "5",
            "--out-file",
            file.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("wrote 8 rollouts (2 groups of 4, seed 5"), run.out());
    List<Rollout> rollouts = new ArrayList<>();
    try (DataFileReader<Rollout> reader =
        new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(Rollout.class))) {
      // replay --input-files takes a file whose writer schema is Rollout's.
      assertEquals(Rollout.getClassSchema().getFullName(), reader.getSchema().getFullName());
      reader.forEach(rollouts::add);
    }
    assertEquals(8, rollouts.size());
    Map<String, Long> members =
        rollouts.stream()
            .collect(Collectors.groupingBy(Rollout::getGroupId, Collectors.counting()));
    members.values().forEach(n -> assertEquals(4L, n, members.toString()));
    assertEquals(2, members.size(), members.toString());
    for (Rollout rollout : rollouts) {
      assertEquals("babyllama-stories", rollout.getTaskFamily());
      assertEquals(rollout.getGroupId() + "/" + rollout.getSampleIndex(), rollout.getRolloutId());
      assertEquals(rollout.getTokenIds().size(), rollout.getLogProbs().size());
    }
  }

  @Test
  void outFileIsRefusedWithoutAModelOrWithCorruptRecords() {
    CliRun synthetic = produce("--out-file", tempDir.resolve("x.avro").toString());
    assertEquals(2, synthetic.exitCode(), synthetic.toString());
    assertTrue(
        synthetic.err().contains("--out-file is for rollouts sampled by a model"), synthetic.err());
    CliRun corrupt =
        produce(
            "--model",
            MODEL,
            "--task",
            STORIES,
            "--corrupt",
            "2",
            "--out-file",
            tempDir.resolve("x.avro").toString());
    assertEquals(2, corrupt.exitCode(), corrupt.toString());
    assertTrue(corrupt.err().contains("--corrupt goes to a topic only"), corrupt.err());
  }

  @Test
  void aDirectoryWithoutAModelIsRefused() {
    CliRun run = produce("--model", tempDir.toString(), "--task", STORIES);
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--model: no model in " + tempDir), run.err());
  }
}
