package dev.rredcot.pipelines.redistribute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RewardRedistributionTest {

  @Test
  void segmentRewardsAreValueDifferences() {
    double[] values =
        RewardRedistribution.withTerminalReward(new double[] {0.2, 0.5, 0.4, 0.9}, 1.0);
    assertArrayEquals(new double[] {0.2, 0.5, 0.4, 1.0}, values);
    assertArrayEquals(
        new double[] {0.3, -0.1, 0.6}, RewardRedistribution.segmentRewards(values), 1e-12);
  }

  @Test
  void rewardsTelescopeToRewardMinusInitialValue() {
    double[] values =
        RewardRedistribution.withTerminalReward(new double[] {0.37, 0.12, 0.88, 0.0}, 0.0);
    double sum = 0;
    for (double r : RewardRedistribution.segmentRewards(values)) {
      sum += r;
    }
    assertEquals(0.0 - 0.37, sum, 1e-12);
  }

  @Test
  void nonFiniteValueIsRejectedWithReason() {
    RewardRedistribution.RedistributionException error =
        assertThrows(
            RewardRedistribution.RedistributionException.class,
            () -> RewardRedistribution.segmentRewards(new double[] {0.1, Double.NaN, 1.0}));
    assertEquals("non-finite-value", error.reason());
  }

  @Test
  void brokenTelescopingIsRejectedNotFixed() {
    RewardRedistribution.RedistributionException error =
        assertThrows(
            RewardRedistribution.RedistributionException.class,
            () ->
                RewardRedistribution.checkTelescopes(
                    new double[] {0.0, 0.5, 1.0}, new double[] {0.5, 0.6}, 1.0));
    assertEquals("telescoping-violated", error.reason());
  }

  @Test
  void singleValueIsTooFew() {
    RewardRedistribution.RedistributionException error =
        assertThrows(
            RewardRedistribution.RedistributionException.class,
            () -> RewardRedistribution.withTerminalReward(new double[] {0.5}, 1.0));
    assertEquals("too-few-values", error.reason());
  }
}
