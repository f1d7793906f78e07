package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningMetricsTest {
  private static LearningRun.Curve curve(int seed, double... accuracies) {
    List<LearningRun.CurvePoint> points =
        java.util.stream.IntStream.range(0, accuracies.length)
            .mapToObj(i -> new LearningRun.CurvePoint(100L * i, accuracies[i], 0.5))
            .toList();
    return new LearningRun.Curve(LearningArm.grpo(), seed, points, Map.of(), 0, 1, 0.1);
  }

  @Test
  void rolloutsToTargetIsTheFirstPointAtOrAboveIt() {
    assertEquals(
        200, LearningMetrics.rolloutsToTarget(curve(1, 0.5, 0.55, 0.6, 0.7).points(), 0.6));
    assertEquals(-1, LearningMetrics.rolloutsToTarget(curve(1, 0.5, 0.55).points(), 0.6));
  }

  @Test
  void meansOverSeedsCountOnlySeedsThatReachedTheTargetUnlessCensored() {
    // Seed 1 reaches 0.6 after 100 rollouts, seed 2 after 300, seed 3 never (budget 300).
    LearningMetrics metrics =
        LearningMetrics.of(
            List.of(
                curve(1, 0.5, 0.6, 0.6, 0.6),
                curve(2, 0.5, 0.5, 0.5, 0.6),
                curve(3, 0.5, 0.5, 0.5, 0.5)),
            0.6,
            300);
    assertEquals(200, metrics.rolloutsToTargetMean(), 1e-9);
    assertEquals(2, metrics.seedsReachingTarget());
    assertEquals((100 + 300 + 300) / 3.0, metrics.rolloutsToTargetCensoredMean(), 1e-9);
  }

  @Test
  void finalAccuracyHasMeanAndPopulationStd() {
    LearningMetrics metrics =
        LearningMetrics.of(List.of(curve(1, 0.5, 0.6), curve(2, 0.5, 0.8)), 0.9, 100);
    assertEquals(0.7, metrics.finalAccuracyMean(), 1e-12);
    assertEquals(0.1, metrics.finalAccuracyStd(), 1e-12);
    assertTrue(Double.isNaN(metrics.rolloutsToTargetMean()));
  }

  @Test
  void areaUnderTheCurveIsTheMeanAccuracyOverTheBudget() {
    // Trapezoids over 0..300: (0.5+0.6)/2, (0.6+0.6)/2, (0.6+0.9)/2 of 100 rollouts each.
    assertEquals(
        (0.55 + 0.6 + 0.75) / 3,
        LearningMetrics.auc(curve(1, 0.5, 0.6, 0.6, 0.9).points(), 300),
        1e-12);
  }

  @Test
  void pairedComparisonRatiosCensoredSumsAndDiffsAreasSeedBySeed() {
    // Arm reaches 0.6 at 100 and 200; GRPO at 300 and never (budget 300 counts).
    List<LearningRun.Curve> arm =
        List.of(curve(1, 0.5, 0.6, 0.6, 0.6), curve(2, 0.5, 0.5, 0.6, 0.6));
    List<LearningRun.Curve> grpo =
        List.of(curve(1, 0.5, 0.5, 0.5, 0.6), curve(2, 0.5, 0.5, 0.5, 0.5));
    PairedComparison comparison = PairedComparison.of(arm, grpo, 0.6, 300, 200, 1);
    assertEquals(2, comparison.seeds());
    assertEquals((100.0 + 200) / (300 + 300), comparison.rolloutsToTargetRatio(), 1e-12);
    double armAuc = ((0.55 + 0.6 + 0.6) / 3 + (0.5 + 0.55 + 0.6) / 3) / 2;
    double grpoAuc = ((0.5 + 0.5 + 0.55) / 3 + 0.5) / 2;
    assertEquals(armAuc - grpoAuc, comparison.aucDiff(), 1e-12);
    assertTrue(comparison.aucDiffInterval().low() > 0, comparison.toString());
    assertTrue(comparison.ratioInterval().high() < 1, comparison.toString());
  }

  @Test
  void armsParseByNameAndRefuseUnknownOnes() {
    List<LearningArm> arms =
        LearningArm.parse(
            List.of("grpo", "rredcot-dense", "oracle-mc4"),
            dev.rredcot.pipelines.value.ValueEstimator.BANK);
    assertEquals(
        List.of("grpo", "rredcot-dense", "oracle-mc4"),
        arms.stream().map(LearningArm::name).toList());
    assertEquals(4, arms.get(2).mcSamples());
    assertEquals(dev.rredcot.pipelines.value.ValueEstimator.BANK, arms.get(1).estimator());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            LearningArm.parse(
                List.of("oracle-mcx"), dev.rredcot.pipelines.value.ValueEstimator.BANK));
  }
}
