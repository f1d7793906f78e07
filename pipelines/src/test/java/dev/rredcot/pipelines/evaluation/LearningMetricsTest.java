package dev.rredcot.pipelines.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningMetricsTest {
  private static LearningRun.Curve curve(int seed, double... accuracies) {
    List<LearningRun.CurvePoint> points =
        java.util.stream.IntStream.range(0, accuracies.length)
            .mapToObj(i -> new LearningRun.CurvePoint(100L * i, accuracies[i], 0.5))
            .toList();
    return new LearningRun.Curve(AdvantageRule.GRPO, seed, points, Map.of(), 0, 1);
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
}
