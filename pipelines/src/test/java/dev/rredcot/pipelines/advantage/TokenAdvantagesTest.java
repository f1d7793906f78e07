package dev.rredcot.pipelines.advantage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.grpo.GroupStatistics;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenAdvantagesTest {
  private static final double EPS = 1e-6;
  // Group rewards 1, 0, 0, 1: mean 0.5, std 0.5.
  private static final GroupStatistics GROUP = GroupStatistics.of(List.of(1.0, 0.0, 0.0, 1.0));
  // Correct trace, 3 segments of 2, 1, 3 tokens; values 0.4 -> 0.7 -> 0.5 -> 1.0.
  private static final int[] BOUNDARIES = {0, 2, 3, 6};
  private static final double[] VALUES = {0.4, 0.7, 0.5, 1.0};
  private static final double[] REWARDS = {0.3, -0.2, 0.5};

  private static TokenAdvantages.Settings settings(AdvantageRule rule, double beta) {
    return new TokenAdvantages.Settings(rule, EPS, beta);
  }

  private static float[] compute(
      AdvantageRule rule, double beta, double reward, double[] values, double[] rewards) {
    return TokenAdvantages.compute(
        settings(rule, beta), reward, GROUP, BOUNDARIES, values, rewards);
  }

  @Test
  void groupStatisticsUsePopulationDeviation() {
    assertEquals(0.5, GROUP.mean(), 1e-12);
    assertEquals(0.5, GROUP.std(), 1e-12);
    assertEquals(4, GROUP.count());
  }

  @Test
  void grpoGivesEveryTokenTheGroupAdvantage() {
    float a = (float) (0.5 / (0.5 + EPS));
    assertArrayEquals(
        new float[] {a, a, a, a, a, a}, compute(AdvantageRule.GRPO, 2, 1.0, VALUES, REWARDS));
  }

  @Test
  void reweightKeepsTotalWeightAndSign() {
    for (double reward : new double[] {1.0, 0.0}) {
      float[] tokens = compute(AdvantageRule.RREDCOT_REWEIGHT, 2, reward, VALUES, REWARDS);
      double advantage = (reward - 0.5) / (0.5 + EPS);
      double sum = 0;
      for (float value : tokens) {
        sum += value;
        assertEquals(Math.signum(advantage), Math.signum(value));
      }
      assertEquals(6 * advantage, sum, 1e-5);
    }
  }

  @Test
  void reweightFavoursValueRaisingSegmentsOfCorrectTrace() {
    // Hand-computed: w = exp(2·r) = e^0.6, e^-0.4, e^1.0; σ = 6·w / (2e^0.6 + e^-0.4 + 3e^1.0).
    double norm = 2 * Math.exp(0.6) + Math.exp(-0.4) + 3 * Math.exp(1.0);
    double[] sigma = TokenAdvantages.tiltWeights(BOUNDARIES, REWARDS, 1, 2);
    assertArrayEquals(
        new double[] {
          6 * Math.exp(0.6) / norm, 6 * Math.exp(-0.4) / norm, 6 * Math.exp(1.0) / norm
        },
        sigma,
        1e-12);
    assertTrue(sigma[2] > sigma[0] && sigma[0] > sigma[1]);
  }

  @Test
  void reweightFavoursValueLoweringSegmentsOfWrongTrace() {
    double[] sigma = TokenAdvantages.tiltWeights(BOUNDARIES, REWARDS, -1, 2);
    assertTrue(sigma[1] > sigma[0] && sigma[0] > sigma[2]);
  }

  @Test
  void reweightWithZeroStrengthIsGrpo() {
    assertArrayEquals(
        compute(AdvantageRule.GRPO, 0, 1.0, VALUES, REWARDS),
        compute(AdvantageRule.RREDCOT_REWEIGHT, 0, 1.0, VALUES, REWARDS));
  }

  @Test
  void reweightWithOneSegmentIsGrpo() {
    int[] boundaries = {0, 6};
    double[] values = {0.5, 1.0};
    double[] rewards = {0.5};
    assertArrayEquals(
        TokenAdvantages.compute(
            settings(AdvantageRule.GRPO, 2), 1.0, GROUP, boundaries, values, rewards),
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_REWEIGHT, 2), 1.0, GROUP, boundaries, values, rewards));
  }

  @Test
  void denseUsesReturnToGoPlusGroupBaseline() {
    // Segment k: (ζ − v_{k−1} + v_0 − mean) / (std + ε) = (1 − v_{k−1} + 0.4 − 0.5) / 0.5.
    float[] tokens = compute(AdvantageRule.RREDCOT_DENSE, 2, 1.0, VALUES, REWARDS);
    float first = (float) ((1.0 - 0.4 + 0.4 - 0.5) / (0.5 + EPS));
    float second = (float) ((1.0 - 0.7 + 0.4 - 0.5) / (0.5 + EPS));
    float third = (float) ((1.0 - 0.5 + 0.4 - 0.5) / (0.5 + EPS));
    assertArrayEquals(new float[] {first, first, second, third, third, third}, tokens, 1e-6f);
  }

  @Test
  void denseFirstSegmentEqualsGrpoAdvantage() {
    // A wrong trace: same values, terminal value replaced by ζ = 0.
    double[] values = {0.4, 0.7, 0.5, 0.0};
    double[] rewards = {0.3, -0.2, -0.5};
    float[] dense = compute(AdvantageRule.RREDCOT_DENSE, 2, 0.0, values, rewards);
    assertEquals((0.0 - 0.5) / (0.5 + EPS), dense[0], 1e-6);
  }

  @Test
  void grpoAndReweightGiveZeroToEveryTokenOfAGroupWithEqualRewards() {
    GroupStatistics allCorrect = GroupStatistics.of(List.of(1.0, 1.0, 1.0, 1.0));
    for (AdvantageRule rule : List.of(AdvantageRule.GRPO, AdvantageRule.RREDCOT_REWEIGHT)) {
      float[] tokens =
          TokenAdvantages.compute(settings(rule, 2), 1.0, allCorrect, BOUNDARIES, VALUES, REWARDS);
      assertArrayEquals(new float[6], tokens, rule.optionValue());
    }
  }

  @Test
  void rudderGivesEverySegmentItsScaledRedistributedReward() {
    // c = 2, λ = 0: A = 2·r_k = 0.6, −0.4, 1.0 on segments of 2, 1, 3 tokens.
    float[] tokens = compute(AdvantageRule.RREDCOT_RUDDER, 2, 1.0, VALUES, REWARDS);
    assertArrayEquals(new float[] {0.6f, 0.6f, -0.4f, 1.0f, 1.0f, 1.0f}, tokens, 1e-6f);
  }

  @Test
  void rudderAddsItsShareOfTheGrpoAdvantage() {
    // c = 3, λ = 0.5, a wrong trace: A_i = (0 − 0.5) / (0.5 + ε) ≈ −1, so A = 3·r_k − 0.5.
    double[] values = {0.4, 0.7, 0.5, 0.0};
    double[] rewards = {0.3, -0.2, -0.5};
    TokenAdvantages.Settings settings =
        new TokenAdvantages.Settings(AdvantageRule.RREDCOT_RUDDER, EPS, 2, 3.0, 0.5);
    float[] tokens = TokenAdvantages.compute(settings, 0.0, GROUP, BOUNDARIES, values, rewards);
    double grpo = -0.5 / (0.5 + EPS);
    float first = (float) (0.9 + 0.5 * grpo);
    float second = (float) (-0.6 + 0.5 * grpo);
    float third = (float) (-1.5 + 0.5 * grpo);
    assertArrayEquals(new float[] {first, first, second, third, third, third}, tokens, 1e-6f);
  }

  @Test
  void anchoredRudderTakesTheFirstSegmentsRewardFromTheGroupMean() {
    // Group mean 0.5, v_0 = 0.4: r_1 = v_1 − 0.5 = 0.2 instead of 0.3; c = 2: 0.4, −0.4, 1.0.
    float[] tokens = compute(AdvantageRule.RREDCOT_RUDDER_ANCHORED, 2, 1.0, VALUES, REWARDS);
    assertArrayEquals(new float[] {0.4f, 0.4f, -0.4f, 1.0f, 1.0f, 1.0f}, tokens, 1e-6f);
    // In an all-wrong group (mean 0) the trace's credit sums to 0: r = (0.7, −0.2, −0.5).
    GroupStatistics allWrong = GroupStatistics.of(List.of(0.0, 0.0, 0.0, 0.0));
    float[] wrong =
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_RUDDER_ANCHORED, 2),
            0.0,
            allWrong,
            BOUNDARIES,
            new double[] {0.4, 0.7, 0.5, 0.0},
            new double[] {0.3, -0.2, -0.5});
    assertArrayEquals(new float[] {1.4f, 1.4f, -0.4f, -1.0f, -1.0f, -1.0f}, wrong, 1e-6f);
    assertEquals(
        AdvantageRule.RREDCOT_RUDDER_ANCHORED, AdvantageRule.fromShortName("rudder-anchored"));
    assertTrue(AdvantageRule.RREDCOT_RUDDER_ANCHORED.usesValuesInEqualGroups());
  }

  @Test
  void calibratedRudderLiftsTheValuesSoTheStartMatchesTheGroupMean() {
    // α = ln 0.5 / ln 0.4 = 0.75647: values 0.5, 0.7^α = 0.76352, 0.5^α = 0.59194, then ζ = 1;
    // c = 2: 2·0.26352, 2·(−0.17158), 2·0.40806.
    assertEquals(0.7564708, TokenAdvantages.calibrationExponent(0.4, 0.5), 1e-6);
    float[] tokens = compute(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, 2, 1.0, VALUES, REWARDS);
    float a = 0.5270427f;
    float b = -0.3431575f;
    float c = 0.8161148f;
    assertArrayEquals(new float[] {a, a, b, c, c, c}, tokens, 1e-6f);
    // Values are only lifted, and at most to the power 1/4.
    assertEquals(1.0, TokenAdvantages.calibrationExponent(0.6, 0.5), 0);
    assertEquals(0.25, TokenAdvantages.calibrationExponent(0.01, 0.5), 0);
    // An all-wrong group has no mean to calibrate to: the values as given, i.e. rudder's credit.
    GroupStatistics allWrong = GroupStatistics.of(List.of(0.0, 0.0, 0.0, 0.0));
    double[] values = {0.4, 0.7, 0.5, 0.0};
    double[] rewards = {0.3, -0.2, -0.5};
    assertArrayEquals(
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_RUDDER, 2), 0.0, allWrong, BOUNDARIES, values, rewards),
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, 2),
            0.0,
            allWrong,
            BOUNDARIES,
            values,
            rewards),
        1e-6f);
    assertEquals(
        AdvantageRule.RREDCOT_RUDDER_CALIBRATED, AdvantageRule.fromShortName("rudder-calibrated"));
    assertTrue(AdvantageRule.RREDCOT_RUDDER_CALIBRATED.usesValuesInEqualGroups());
  }

  @Test
  void thePriorCalibrationLiftsAnAllWrongGroupToTheJeffreysEstimate() {
    // Four wrong traces: (0 + ½) / 5 = 0.1; v_0 = 0.04: α = ln 0.1 / ln 0.04 = 0.7153.
    GroupStatistics allWrong = GroupStatistics.of(List.of(0.0, 0.0, 0.0, 0.0));
    assertEquals(
        0.1,
        TokenAdvantages.calibrationTarget(AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR, allWrong),
        1e-12);
    assertEquals(
        0.0,
        TokenAdvantages.calibrationTarget(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, allWrong),
        0);
    // In a mixed group both calibrate to the mean.
    assertEquals(
        0.5,
        TokenAdvantages.calibrationTarget(AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR, GROUP),
        0);
    double[] values = {0.04, 0.2, 0.0, 0.0};
    double alpha = Math.log(0.1) / Math.log(0.04);
    float[] tokens =
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR, 2),
            0.0,
            allWrong,
            BOUNDARIES,
            values,
            new double[] {0.16, -0.2, 0.0});
    float rise = (float) (2 * (Math.pow(0.2, alpha) - 0.1));
    float fall = (float) (-2 * Math.pow(0.2, alpha));
    assertArrayEquals(new float[] {rise, rise, fall, 0f, 0f, 0f}, tokens, 1e-6f);
    assertTrue(AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR.usesValuesInEqualGroups());
  }

  @Test
  void valueRulesKeepSignalInAGroupWithEqualRewards() {
    // All four traces wrong; this one's value rises then falls to 0 (0.4 -> 0.7 -> 0.5 -> 0).
    GroupStatistics allWrong = GroupStatistics.of(List.of(0.0, 0.0, 0.0, 0.0));
    double[] values = {0.4, 0.7, 0.5, 0.0};
    double[] rewards = {0.3, -0.2, -0.5};
    float[] rudder =
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_RUDDER, 2), 0.0, allWrong, BOUNDARIES, values, rewards);
    assertArrayEquals(new float[] {0.6f, 0.6f, -0.4f, -1.0f, -1.0f, -1.0f}, rudder, 1e-6f);
    // Dense with the zero std replaced by 1 / c: c·(v_0 − v_{k−1}) = 0, 2·(0.4 − 0.7), 2·(0.4 −
    // 0.5).
    float[] dense =
        TokenAdvantages.compute(
            settings(AdvantageRule.RREDCOT_DENSE, 2), 0.0, allWrong, BOUNDARIES, values, rewards);
    assertArrayEquals(new float[] {0f, 0f, -0.6f, -0.2f, -0.2f, -0.2f}, dense, 1e-6f);
  }

  @Test
  void rulesParseFromTheirShortNames() {
    assertEquals(AdvantageRule.RREDCOT_RUDDER, AdvantageRule.fromShortName("rudder"));
    assertEquals(AdvantageRule.RREDCOT_RUDDER, AdvantageRule.fromOption("rredcot-rudder"));
    assertTrue(AdvantageRule.RREDCOT_DENSE.usesValuesInEqualGroups());
    assertTrue(!AdvantageRule.RREDCOT_REWEIGHT.usesValuesInEqualGroups());
  }
}
