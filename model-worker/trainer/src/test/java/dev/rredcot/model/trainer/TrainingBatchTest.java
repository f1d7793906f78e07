package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerFixtures.group;
import static dev.rredcot.model.trainer.TrainerFixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.schemas.CreditedRollout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a trainer step takes from its groups: every member consumed, the signal-carrying trained.
 */
class TrainingBatchTest {

  private static GroupBuffer.Group signalFree(String promptId, long version) {
    return new GroupBuffer.Group(
        promptId + "@v" + version + "#0",
        List.of(rollout(promptId, version, 0, 2, 0f), rollout(promptId, version, 1, 2, 0f)));
  }

  @Test
  void everyMemberIsConsumedButOnlyMembersWithANonZeroAdvantageAreExamples() {
    List<CreditedRollout> mixed = group("a", 3, 2);
    TrainingBatch batch =
        TrainingBatch.of(List.of(new GroupBuffer.Group("a@v3#0", mixed), signalFree("b", 4)), 5);

    assertEquals(List.of("a@v3#0", "b@v4#0"), batch.groupIds());
    assertEquals(
        List.of("a@v3#0/0", "a@v3#0/1", "b@v4#0/0", "b@v4#0/1"), batch.rolloutIds(), "batch order");
    assertEquals(4, batch.records().size());
    assertEquals(2, batch.examples().size(), "the signal-free group's members carry no gradient");
    assertEquals(1, batch.zeroSignalGroups());
    assertEquals(0.5, batch.meanReward(), 1e-12, "rewards 1, 0, 1, 0");
    assertEquals(3, batch.oldestBehaviourVersion());

    TrainExample first = batch.examples().get(0);
    CreditedRollout record = mixed.get(0);
    assertEquals(record.getPromptText(), first.prompt());
    assertEquals(record.getTokenIds().size(), first.traceTokens().length);
    assertEquals(record.getTokenIds().get(2), first.traceTokens()[2]);
    float[] advantages = new float[record.getTokenAdvantages().size()];
    Arrays.fill(advantages, 1f);
    assertArrayEquals(advantages, first.advantages());
    assertEquals(-3f, first.behaviourLogProbs()[0]);
  }

  @Test
  void theOldestBehaviourVersionIsBoundedByThePolicyVersion() {
    TrainingBatch batch =
        TrainingBatch.of(List.of(new GroupBuffer.Group("a@v9#0", group("a", 9, 2))), 7);
    assertEquals(7, batch.oldestBehaviourVersion());
  }

  @Test
  void theStepMetricsCarryTheResultAndTheBatchSizes() {
    TrainingBatch batch =
        TrainingBatch.of(
            List.of(new GroupBuffer.Group("a@v3#0", group("a", 3, 2)), signalFree("b", 1)), 5);
    TrainStepResult result = new TrainStepResult(0.25, 0.1, 0.01, 2.0, 40, 0.9, 0.05, 0.0, 1);

    Map<String, Double> metrics = batch.stepMetrics(result, 5);

    assertEquals(0.25, metrics.get("loss"));
    assertEquals(40.0, metrics.get("tokens"));
    assertEquals(2.0, metrics.get("traces"));
    assertEquals(4.0, metrics.get("rollouts"), "the signal-free group's members count as consumed");
    assertEquals(2.0, metrics.get("groups"));
    assertEquals(0.5, metrics.get("mean_reward"));
    assertEquals(4.0, metrics.get("behaviour_lag_max_versions"), "v5 trained on a v1 rollout");
    assertEquals(14, metrics.size());
  }
}
