package dev.rredcot.infra.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SyntheticRolloutsTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private static SyntheticRollouts rollouts(long seed, double stepErrorRate) {
    return SyntheticRollouts.builder()
        .optSeed(seed)
        .optGroupSize(4)
        .optStepErrorRate(stepErrorRate)
        .optCreatedAt(CREATED)
        .build();
  }

  @Test
  void countdownRolloutsAreVerifiedCountdownTracesWithCorrectAndDoomedOnes() {
    CountdownTask task = new CountdownTask(PretrainOptions.COUNTDOWN_POLICY_TASK);
    List<Rollout> generated =
        SyntheticRollouts.builder()
            .optSeed(3)
            .optGroupSize(4)
            .optStepErrorRate(0.3)
            .optTask(task)
            .optCreatedAt(CREATED)
            .build()
            .generate(40);
    CharTokenizer tokenizer = CharTokenizer.countdown();
    int correct = 0;
    for (Rollout rollout : generated) {
      assertEquals(CountdownTask.NAME, rollout.getTaskFamily());
      int[] ids = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
      assertEquals(rollout.getText(), tokenizer.decode(ids));
      assertEquals(ids.length, rollout.getLogProbs().size());
      assertEquals(
          task.verifyAnswer(rollout.getReferenceAnswer(), rollout.getText()).reward(),
          rollout.getReward(),
          rollout.getText());
      Problem problem =
          new Problem(
              "p",
              CountdownTask.NAME,
              rollout.getPromptText(),
              "",
              rollout.getReferenceAnswer(),
              Map.of());
      // A wrong trace was doomed on some line, and that line carries the unsure log-prob.
      if (rollout.getReward() == 0.0) {
        int doomed = task.firstDoomedStep(problem, rollout.getText()).getAsInt();
        int start =
            task.splitSteps(rollout.getText()).subList(0, doomed).stream()
                .mapToInt(String::length)
                .sum();
        assertEquals(SyntheticRollouts.UNSURE_LOG_PROB, rollout.getLogProbs().get(start));
      } else {
        correct++;
        assertTrue(task.firstDoomedStep(problem, rollout.getText()).isEmpty());
      }
    }
    assertTrue(correct > 0 && correct < generated.size(), "rewards vary: " + correct + "/40");
  }

  @Test
  void theSameSeedGivesTheSameRollouts() {
    assertEquals(rollouts(5, 0.2).generate(16), rollouts(5, 0.2).generate(16));
    assertNotEquals(rollouts(5, 0.2).generate(16), rollouts(6, 0.2).generate(16));
  }

  @Test
  void generatesFullGroupsSharingOnePromptWithUniqueIds() {
    List<Rollout> generated = rollouts(1, 0.2).generate(12);
    assertEquals(12, generated.stream().map(Rollout::getRolloutId).distinct().count());
    var byGroup = generated.stream().collect(Collectors.groupingBy(Rollout::getGroupId));
    assertEquals(3, byGroup.size());
    byGroup.forEach(
        (group, samples) -> {
          assertEquals(
              Set.of(0, 1, 2, 3),
              samples.stream().map(Rollout::getSampleIndex).collect(Collectors.toSet()));
          assertEquals(1, samples.stream().map(Rollout::getPromptText).distinct().count());
        });
  }

  @Test
  void tokensLogProbsAndRewardsDescribeTheText() {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    for (Rollout rollout : rollouts(2, 0.3).generate(40)) {
      int[] ids = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
      assertEquals(rollout.getText(), tokenizer.decode(ids));
      assertEquals(ids.length, rollout.getLogProbs().size());
      assertNull(rollout.getEntropies());
      boolean correct = rollout.getText().endsWith("A: " + rollout.getReferenceAnswer() + "\n");
      assertEquals(correct ? 1.0 : 0.0, rollout.getReward(), rollout.getText());
      assertEquals(ArithmeticTask.NAME, rollout.getTaskFamily());
    }
  }

  @Test
  void aStepErrorRateMakesSomeTracesWrongAndSomeRight() {
    List<Rollout> generated = rollouts(3, 0.15).generate(200);
    long correct = generated.stream().filter(rollout -> rollout.getReward() == 1.0).count();
    assertTrue(correct > 40 && correct < 180, "correct: " + correct);
  }

  @Test
  void corruptedLinesGetTheLowerSyntheticLogProb() {
    List<Rollout> wrong =
        rollouts(4, 0.5).generate(40).stream().filter(r -> r.getReward() == 0.0).toList();
    assertTrue(!wrong.isEmpty());
    for (Rollout rollout : wrong) {
      assertTrue(rollout.getLogProbs().contains(SyntheticRollouts.UNSURE_LOG_PROB));
    }
  }

  @Test
  void rejectsACountThatLeavesAPartialGroup() {
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> rollouts(1, 0.1).generate(10));
    assertTrue(error.getMessage().contains("not a multiple of the group size 4"));
  }
}
