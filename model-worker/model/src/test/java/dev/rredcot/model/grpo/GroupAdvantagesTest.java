package dev.rredcot.model.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {

  @Test
  void correctTracesGetPositiveAndWrongTracesNegativeAdvantages() {
    double[] advantages = GroupAdvantages.grpo(new double[] {1, 0, 0, 1}, 0);
    // mean 0.5, population std 0.5
    assertArrayEquals(new double[] {1, -1, -1, 1}, advantages, 1e-12);
  }

  @Test
  void advantagesOfAGroupSumToZero() {
    double[] advantages = GroupAdvantages.grpo(new double[] {1, 0, 0, 0, 0}, 1e-4);
    double sum = 0;
    for (double a : advantages) {
      sum += a;
    }
    assertEquals(0, sum, 1e-9);
    assertTrue(advantages[0] > 0);
  }

  @Test
  void groupWithEqualRewardsCarriesNoSignal() {
    assertArrayEquals(new double[3], GroupAdvantages.grpo(new double[] {1, 1, 1}, 1e-4));
    assertArrayEquals(new double[3], GroupAdvantages.grpo(new double[] {0, 0, 0}, 1e-4));
  }

  @Test
  void equalRewardsThatDoNotAverageExactlyStillHaveZeroDeviation() {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004, so (0.1 − mean) is not 0 in floating point.
    GroupStatistics statistics = GroupStatistics.of(new double[] {0.1, 0.1, 0.1});
    assertEquals(0, statistics.std());
    assertTrue(statistics.allEqual());
    assertEquals(0, GroupAdvantages.advantage(0.1, statistics, GroupAdvantages.DEFAULT_EPSILON));
    assertArrayEquals(new double[3], GroupAdvantages.grpo(new double[] {0.1, 0.1, 0.1}, 1e-6));
  }

  @Test
  void advantageOfOneSampleMatchesTheGroupsAdvantages() {
    double[] rewards = {1, 0, 0, 0};
    GroupStatistics statistics = GroupStatistics.of(rewards);
    double[] advantages = GroupAdvantages.grpo(rewards, GroupAdvantages.DEFAULT_EPSILON);
    for (int i = 0; i < rewards.length; i++) {
      assertEquals(
          advantages[i],
          GroupAdvantages.advantage(rewards[i], statistics, GroupAdvantages.DEFAULT_EPSILON));
    }
    assertEquals(
        0.75 / (Math.sqrt(0.1875) + GroupAdvantages.DEFAULT_EPSILON), advantages[0], 1e-12);
  }

  @Test
  void rejectsEmptyGroupAndNonFiniteRewards() {
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new double[0], 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> GroupAdvantages.grpo(new double[] {1, Double.NaN}, 0));
  }
}
