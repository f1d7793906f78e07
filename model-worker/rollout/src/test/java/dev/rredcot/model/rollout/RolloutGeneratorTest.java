package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.JsonlTaskFamily;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutGeneratorTest {

  private static final ArithmeticTask TASK = ArithmeticTask.defaults();
  private static Policy policy;

  @BeforeAll
  static void createPolicy() {
    policy = RolloutFixtures.tinyPolicy(11);
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  private static RolloutGenerator generator() {
    return new RolloutGenerator(List.of(TASK), 3, 1.0, 12, () -> Instant.ofEpochMilli(42));
  }

  @Test
  void samplesAGroupOfGPerPromptWithStableIds() {
    List<Prompt> prompts = List.of(TaskFeeder.prompt(TASK, 1, 0), TaskFeeder.prompt(TASK, 2, 2));
    GeneratedBatch batch = generator().generate(policy, prompts);
    assertEquals(6, batch.rollouts().size());
    assertTrue(batch.rejected().isEmpty());
    Rollout first = batch.rollouts().get(0);
    String groupId = prompts.get(0).getId() + "#0";
    assertEquals(groupId, first.getGroupId());
    assertEquals(groupId + "/0", first.getRolloutId());
    assertEquals(prompts.get(1).getId() + "#2/2", batch.rollouts().get(5).getRolloutId());
    assertEquals(3, first.getGroupSize());
    assertEquals(Instant.ofEpochMilli(42), first.getCreatedAtMs());
  }

  @Test
  void rolloutCarriesBehaviourLogProbsEntropiesAndVerifiedReward() {
    Prompt prompt = TaskFeeder.prompt(TASK, 5, 0);
    for (Rollout rollout : generator().generate(policy, List.of(prompt)).rollouts()) {
      int tokens = rollout.getTokenIds().size();
      assertTrue(tokens > 0);
      assertEquals(tokens, rollout.getLogProbs().size());
      assertEquals(tokens, rollout.getEntropies().size());
      assertEquals(0L, rollout.getPolicyVersion());
      assertEquals(prompt.getReferenceAnswer(), rollout.getReferenceAnswer());
      double expected = TASK.verifyAnswer(prompt.getReferenceAnswer(), rollout.getText()).reward();
      assertEquals(expected, rollout.getReward());
    }
  }

  @Test
  void resamplingTheSameBatchGivesTheSameTraces() {
    List<Prompt> prompts = List.of(TaskFeeder.prompt(TASK, 9, 0));
    List<Rollout> first = generator().generate(policy, prompts).rollouts();
    List<Rollout> second = generator().generate(policy, prompts).rollouts();
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).getRolloutId(), second.get(i).getRolloutId());
      assertEquals(first.get(i).getTokenIds(), second.get(i).getTokenIds());
    }
  }

  @Test
  void anotherPolicyVersionKeepsTheIdsOfTheSameAttempt(@TempDir Path dir) throws IOException {
    // A worker that restarts on a newer checkpoint samples the same prompt attempt under the same
    // ids, so consumers see one group, not two.
    List<Prompt> prompts = List.of(TaskFeeder.prompt(TASK, 9, 1));
    List<Rollout> before = generator().generate(policy, prompts).rollouts();
    try (Policy newer = RolloutFixtures.tinyPolicy(12)) {
      newer.save(new CheckpointStore(dir, 2), 7, null, Map.of());
      List<Rollout> after = generator().generate(newer, prompts).rollouts();
      for (int i = 0; i < before.size(); i++) {
        assertEquals(before.get(i).getRolloutId(), after.get(i).getRolloutId());
        assertEquals(7L, after.get(i).getPolicyVersion());
      }
    }
  }

  @Test
  void rejectsAPromptOfAnUnknownFamilyAndServesTheRest() {
    Prompt stranger = TaskFeeder.prompt(TASK, 3, 0);
    stranger.setTaskFamily("chess");
    GeneratedBatch batch =
        generator().generate(policy, List.of(stranger, TaskFeeder.prompt(TASK, 4, 0)));
    assertEquals(1, batch.rejected().size());
    assertTrue(batch.rejected().get(0).reason().contains("chess"));
    assertEquals(3, batch.rollouts().size());
  }

  @Test
  void samplesAJsonlFamilyWithAModelDirectoryAndRecordsTheModelsOwnLogProbs() throws IOException {
    // produce-rollouts --model: the committed BabyLlama samples the stories family; the behaviour
    // log-probs it records are those the same model gives the tokens when it scores them.
    JsonlTaskFamily stories =
        JsonlTaskFamily.load(RepositoryFiles.path("infra/examples/babyllama-stories.jsonl"));
    RolloutGenerator generator =
        new RolloutGenerator(List.of(stories), 3, 1.0, 40, () -> Instant.ofEpochMilli(42));
    List<Prompt> prompts =
        List.of(TaskFeeder.prompt(stories, 0, 0), TaskFeeder.prompt(stories, 1, 0));
    try (PolicyBackend model = BackendKinds.open(RepositoryFiles.babyLlama())) {
      GeneratedBatch batch = generator.generate(model, prompts);
      assertEquals(6, batch.rollouts().size());
      assertTrue(batch.rejected().isEmpty());
      for (int i = 0; i < batch.rollouts().size(); i++) {
        Rollout rollout = batch.rollouts().get(i);
        Prompt prompt = prompts.get(i / 3);
        assertEquals(prompt.getId() + "#0/" + (i % 3), rollout.getRolloutId());
        assertEquals(prompt.getId() + "#0", rollout.getGroupId());
        assertEquals(3, rollout.getGroupSize());
        assertEquals(0L, rollout.getPolicyVersion());
        assertEquals("babyllama-stories", rollout.getTaskFamily());
        assertEquals(
            stories.verifyAnswer(prompt.getReferenceAnswer(), rollout.getText()).reward(),
            rollout.getReward());
        int[] tokens = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
        assertTrue(tokens.length > 0);
        assertEquals(tokens.length, rollout.getEntropies().size());
        float[] scored = model.logProbs(List.of(new ScoreRequest(prompt.getText(), tokens))).get(0);
        for (int t = 0; t < tokens.length; t++) {
          assertEquals(scored[t], rollout.getLogProbs().get(t), 1e-4, "token " + t);
        }
      }
    }
  }

  @Test
  void refusesGroupsSmallerThanTwo() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new RolloutGenerator(List.of(TASK), 1, 1.0, 12, Instant::now));
  }
}
