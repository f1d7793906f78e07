package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.cli.RredcotCli;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.task.JsonlTaskFamily;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.testing.FamilyCreditChecks;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A family BabyLlama answers, on Flink, as a user runs it: against a real broker, {@code
 * produce-rollouts --model models/babyllama-tok105 --task infra/examples/babyllama-continue.jsonl}
 * writes groups the committed BabyLlama sampled (its log-probs, its version, rewards by the
 * family's exact match), then {@code pipeline --model models/babyllama-tok105 --task ...} credits
 * them on the Flink runner's embedded mini-cluster. Every rollout comes out credited once, none
 * dead-lettered, with the checks the Direct runner's {@code BabyLlamaFamilyCreditTest} applies
 * ({@link FamilyCreditChecks}); the model answers some problems right and some wrong, so the
 * groups' rewards are mixed and the bank's values are not all near 0.
 */
@Tag("slow")
class BabyLlamaFamilyKafkaFlinkTest {
  /** Tests run in the module's directory. */
  private static final Path MODEL = RepositoryFiles.babyLlama();

  private static final Path FAMILY =
      RepositoryFiles.path("infra/examples/babyllama-continue.jsonl");
  private static final int GROUPS = 2;
  private static final int GROUP_SIZE = 4;
  private static final int ROLLOUTS = GROUPS * GROUP_SIZE;

  /** A value the bank gives a prefix the model can answer from; the story family's were ~1e-55. */
  private static final double SOME_VALUE = 1e-6;

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final RecordCodec<Rollout> ROLLOUT_CODEC = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED_CODEC =
      RecordCodec.of(CreditedRollout.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTER_CODEC = RecordCodec.of(DeadLetter.class);

  @Test
  void rolloutsTheModelSampledAreCreditedOnFlinkReturnEquivalentlyWithNoDeadLetter(
      @TempDir Path dir) throws Exception {
    assertTrue(Files.isDirectory(MODEL), "model not found at " + MODEL.toAbsolutePath());
    JsonlTaskFamily family = JsonlTaskFamily.load(FAMILY);
    RredcotHome home = RredcotHome.at(dir.resolve("home"));
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      String bootstrap = broker.bootstrapServers();

      String produced =
          run(
              home,
              "produce-rollouts",
              "--bootstrap",
              bootstrap,
              "--model",
              MODEL.toString(),
              "--task",
              FAMILY.toString(),
              "--count",
              Integer.toString(ROLLOUTS),
              "--group-size",
              Integer.toString(GROUP_SIZE),
              "--seed",
              "5",
              "--max-tokens",
              "48");
      assertTrue(produced.contains("wrote " + ROLLOUTS + " rollouts"), produced);

      Map<String, String> textById = new HashMap<>();
      Map<Double, Integer> rolloutsByReward = new TreeMap<>();
      Map<String, Integer> membersByGroup = new TreeMap<>();
      for (var record : TopicRecords.readAll(bootstrap, Topics.ROLLOUTS, ROLLOUTS, READ_TIMEOUT)) {
        Rollout rollout = ROLLOUT_CODEC.decode(record.value());
        String what = rollout.getRolloutId() + " " + rollout.getText();
        textById.put(rollout.getRolloutId(), rollout.getText());
        membersByGroup.merge(rollout.getGroupId(), 1, Integer::sum);
        rolloutsByReward.merge(rollout.getReward(), 1, Integer::sum);
        assertEquals(rollout.getGroupId(), new String(record.key(), StandardCharsets.UTF_8), what);
        assertEquals(GROUP_SIZE, rollout.getGroupSize(), what);
        assertEquals(0L, rollout.getPolicyVersion(), what);
        assertEquals(family.name(), rollout.getTaskFamily(), what);
        assertEquals(rollout.getTokenIds().size(), rollout.getLogProbs().size(), what);
        assertEquals(rollout.getTokenIds().size(), rollout.getEntropies().size(), what);
        assertEquals(
            family.verifyAnswer(rollout.getReferenceAnswer(), rollout.getText()).reward(),
            rollout.getReward(),
            what);
      }
      assertEquals(ROLLOUTS, textById.size(), "rollouts on the topic: " + textById.keySet());
      assertEquals(GROUPS, membersByGroup.size(), membersByGroup.toString());
      membersByGroup.values().forEach(n -> assertEquals(GROUP_SIZE, n, membersByGroup.toString()));
      // The seed is fixed, so the samples are too: this family was chosen so that they are mixed.
      assertEquals(
          List.of(0.0, 1.0),
          List.copyOf(rolloutsByReward.keySet()),
          "rollouts by reward " + rolloutsByReward + ": " + textById);

      String credit =
          run(
              home,
              "pipeline",
              "--bootstrap",
              bootstrap,
              "--model",
              MODEL.toString(),
              "--task",
              FAMILY.toString(),
              "--max-records",
              Integer.toString(ROLLOUTS),
              "--credit=rredcot",
              "--group-timeout-ms=60000");
      assertTrue(credit.contains("credit job on FlinkRunner"), credit);
      assertTrue(credit.contains("credit job DONE"), credit);

      Map<String, String> deadLettered = new TreeMap<>();
      for (var record : TopicRecords.readAll(bootstrap, Topics.DEAD_LETTERS, 0, READ_TIMEOUT)) {
        DeadLetter letter = DEAD_LETTER_CODEC.decode(record.value());
        deadLettered.put(
            rolloutId(letter),
            letter.getStage() + "/" + letter.getReason() + ": " + letter.getErrorMessage());
      }
      assertEquals(Map.of(), deadLettered, "dead letters by rollout id");
      List<CreditedRollout> credited =
          TopicRecords.readAll(bootstrap, Topics.CREDITED_ROLLOUTS, ROLLOUTS, READ_TIMEOUT).stream()
              .map(record -> CREDITED_CODEC.decode(record.value()))
              .toList();
      FamilyCreditChecks.assertCreditedReturnEquivalently(
          credited, textById, "bank", family.lineEnd());
      long withSomeValue =
          credited.stream()
              .filter(
                  rollout ->
                      rollout
                          .getBoundaryValues()
                          .subList(0, rollout.getBoundaryValues().size() - 1)
                          .stream()
                          .anyMatch(value -> value > SOME_VALUE))
              .count();
      assertTrue(
          withSomeValue > 0,
          "no rollout has a boundary value (before v_K) above " + SOME_VALUE + ": " + credited);
    }
  }

  /** The id of a dead-lettered rollout, or where its undecodable bytes came from. */
  private static String rolloutId(DeadLetter letter) {
    try {
      return ROLLOUT_CODEC.decode(DeadLetters.valueBytes(letter)).getRolloutId();
    } catch (RecordDecodingException e) {
      return "undecodable " + letter.getSourcePartition() + ":" + letter.getSourceOffset();
    }
  }

  /** Runs one CLI command in this JVM; it must exit 0. Returns what it printed. */
  private static String run(RredcotHome home, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = RredcotCli.commandLine(home);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    int exit = cli.execute(args);
    assertEquals(0, exit, String.join(" ", args) + "\n" + out);
    return out.toString();
  }
}
