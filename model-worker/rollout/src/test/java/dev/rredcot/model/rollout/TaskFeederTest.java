package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.schemas.Prompt;
import org.junit.jupiter.api.Test;

class TaskFeederTest {

  private static final ArithmeticTask TASK = ArithmeticTask.defaults();

  @Test
  void promptIsDeterministicBySeedAndCarriesTheProblem() {
    Prompt prompt = TaskFeeder.prompt(TASK, 17, 0);
    Problem problem = TASK.generate(17);
    assertEquals(prompt, TaskFeeder.prompt(TASK, 17, 0));
    assertEquals(problem.id(), prompt.getId());
    assertEquals(problem.prompt(), prompt.getText());
    assertEquals(problem.answer(), prompt.getReferenceAnswer());
    assertEquals(problem.solution(), prompt.getReferenceSolution());
    assertEquals("arith", prompt.getTaskFamily());
  }

  @Test
  void roundIsRecordedAsAttemptKeepingThePromptId() {
    Prompt again = TaskFeeder.prompt(TASK, 17, 3);
    assertEquals(TaskFeeder.prompt(TASK, 17, 0).getId(), again.getId());
    assertEquals("3", again.getMetadata().get(RolloutIds.ATTEMPT_METADATA_KEY));
    assertEquals(3, RolloutGenerator.attempt(again));
  }

  @Test
  void promptCarriesItsSeedSoThatAResumedFeederFindsItsPlace() {
    assertEquals(
        "17", TaskFeeder.prompt(TASK, 17, 3).getMetadata().get(TaskFeeder.SEED_METADATA_KEY));
  }

  @Test
  void builderRejectsAnEmptyFixedSet() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            TaskFeeder.builder()
                .setBootstrapServers("127.0.0.1:1")
                .setTask(TASK)
                .optFixedSet(0, 1)
                .build());
  }
}
