package dev.rredcot.model.trainer;

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
  void rejectsEmptyGroupAndNonFiniteRewards() {
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new double[0], 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> GroupAdvantages.grpo(new double[] {1, Double.NaN}, 0));
  }
}
