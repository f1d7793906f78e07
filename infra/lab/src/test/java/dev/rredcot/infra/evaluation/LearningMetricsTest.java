package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.policy.AdvantageScale;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningMetricsTest {
  private static LearningRun.Curve curve(int seed, double... accuracies) {
    List<LearningRun.CurvePoint> points =
        java.util.stream.IntStream.range(0, accuracies.length)
            .mapToObj(i -> new LearningRun.CurvePoint(100L * i, accuracies[i], 0.5))
            .toList();
    return new LearningRun.Curve(
        LearningArm.grpo(), seed, points, Map.of(), 0, 0, 1, 0.1, 0.5, 0.6, 1.5, 0.25);
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
  void theStepScaleIsTheMeanAbsoluteAdvantageOverEveryTrainedToken() {
    // 3 tokens of |2| and 1 token of |-4|, 0 and 0: (2 + 2 + 2 + 4 + 0 + 0) / 6 = 10 / 6.
    List<TrainExample> batch =
        List.of(
            new TrainExample("Q\n", new int[] {1, 2, 3}, new float[] {2, 2, 2}, new float[3]),
            new TrainExample("Q\n", new int[] {1, 2, 3}, new float[] {-4, 0, 0}, new float[3]));
    assertEquals(10.0 / 6, LearningRun.meanAbsTokenAdvantage(batch), 1e-12);
    assertEquals(0, LearningRun.meanAbsTokenAdvantage(List.of()));
    // Over seeds, the metrics average the runs' figures.
    LearningMetrics metrics = LearningMetrics.of(List.of(curve(1, 0.5), curve(2, 0.5)), 0.9, 100);
    assertEquals(0.5, metrics.meanAbsTokenAdvantage(), 1e-12);
    assertEquals(0.6, metrics.trainedRolloutShare(), 1e-12);
    assertEquals(1.5, metrics.meanGradNorm(), 1e-12);
    assertEquals(0.25, metrics.clippedStepShare(), 1e-12);
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
  void ceilingShareDividesTheArmsGainByTheCeilingsOnTheSameSeeds() {
    // GRPO flat at 0.5; the ceiling gains 0.1 of AUC on both seeds, the arm half of that.
    List<LearningRun.Curve> grpo = List.of(curve(1, 0.5, 0.5, 0.5), curve(2, 0.5, 0.5, 0.5));
    List<LearningRun.Curve> top = List.of(curve(1, 0.5, 0.6, 0.7), curve(2, 0.5, 0.6, 0.7));
    List<LearningRun.Curve> arm = List.of(curve(1, 0.5, 0.55, 0.6), curve(2, 0.5, 0.55, 0.6));
    PairedComparison comparison = PairedComparison.of(arm, grpo, top, 0.65, 200, 200, 1);
    assertEquals(0.5, comparison.ceilingShare(), 1e-12);
    assertEquals(0.5, comparison.ceilingShareInterval().low(), 1e-12);
    PairedComparison ceiling = PairedComparison.of(top, grpo, top, 0.65, 200, 200, 1);
    assertEquals(1.0, ceiling.ceilingShare(), 1e-12);
    PairedComparison none = PairedComparison.of(arm, grpo, 0.65, 200, 200, 1);
    assertEquals(null, none.ceilingShare());
  }

  @Test
  void ceilingShareIsUndefinedWhenTheCeilingGainsNothing() {
    List<LearningRun.Curve> grpo = List.of(curve(1, 0.5, 0.6));
    List<LearningRun.Curve> top = List.of(curve(1, 0.5, 0.5));
    PairedComparison comparison = PairedComparison.of(grpo, grpo, top, 0.65, 100, 200, 1);
    assertTrue(Double.isNaN(comparison.ceilingShare()));
  }

  @Test
  void armsParseAsRuleAndValuesAndRefuseUnknownOnes() {
    List<LearningArm> arms =
        LearningArm.parse(List.of("grpo", "dense:bank", "rudder:reach*mc4", "reweight:mc16"));
    assertEquals(
        List.of("grpo", "dense:bank", "rudder:reach*mc4", "reweight:mc16"),
        arms.stream().map(LearningArm::name).toList());
    assertEquals(4, arms.get(2).values().mcSamples());
    assertEquals(ValueEstimator.REACH_MC, arms.get(2).values().estimator());
    assertEquals(AdvantageRule.RREDCOT_RUDDER, arms.get(2).rule());
    assertEquals(ValueEstimator.MC, arms.get(3).values().estimator());
    assertEquals(ValueEstimator.BANK, arms.get(1).values().estimator());
    LearningArm scaled = LearningArm.parse("rudder-rms:bank");
    assertEquals("rudder-rms:bank", scaled.name());
    assertEquals(AdvantageRule.RREDCOT_RUDDER, scaled.rule());
    assertEquals(AdvantageScale.BATCH_RMS, scaled.scale());
    assertEquals(AdvantageScale.AS_GIVEN, arms.get(1).scale());
    for (String bad :
        List.of(
            "oracle-mc8", "rudder:mcx", "rudder:none", "grpo:bank", "x:bank", "grpo-rms:bank")) {
      assertThrows(IllegalArgumentException.class, () -> LearningArm.parse(bad), bad);
    }
  }

  @Test
  void bankVariantsSetTheSpliceCheckAndLeaveOwnOut() {
    ValueSource aligned = ValueSource.parse("bank-aligned");
    ValueSource spliced = ValueSource.parse("bank-spliced-loo");
    assertTrue(!aligned.spliceCheck() && !aligned.leaveOwnOut());
    assertTrue(spliced.spliceCheck() && spliced.leaveOwnOut());
    assertTrue(ValueSource.parse("bank+reach").oracleSolutions() > 0);
    ValueSource greedy = ValueSource.parse("bank+greedy");
    assertTrue(greedy.greedyFill() && greedy.spliceCheck() && greedy.oracleSolutions() == 0);
    assertTrue(
        greedy.applyTo(ModelSettings.builder().setCheckpointDir("x")).build().bankGreedyFill());
    assertEquals(ValueSource.bank().greedyFill(), greedy.greedyFill());
    assertTrue(
        !ValueSource.parse("bank-spliced")
            .applyTo(ModelSettings.builder().setCheckpointDir("x"))
            .build()
            .bankGreedyFill());
  }

  @Test
  void rolloutsToTheBaselinesFinalAccuracyAreCountedOnEveryArmWithTheSameTarget() {
    // GRPO ends at 0.4 on both seeds (reached at 300 rollouts each); the arm reaches 0.4 at 200
    // and at 100: (200 + 100) / (300 + 300) = 0.5.
    LearningArm arm = LearningArm.parse("rudder:bank");
    Map<String, List<LearningRun.Curve>> curves = new LinkedHashMap<>();
    curves.put("grpo", List.of(curve(1, 0.1, 0.2, 0.3, 0.4), curve(2, 0.1, 0.2, 0.3, 0.4)));
    curves.put(
        "rudder:bank",
        List.of(
            withArm(arm, curve(1, 0.1, 0.3, 0.4, 0.5)),
            withArm(arm, curve(2, 0.1, 0.4, 0.5, 0.5))));
    ObjectNode summary = SummaryJson.object();
    summary.putObject("comparisons").putObject("rudder:bank_vs_grpo");
    LearningEvaluation.addBaselineMatch(summary, curves, 300, 200, 2);
    assertEquals(0.4, summary.get("baseline_final_accuracy").asDouble(), 1e-12);
    JsonNode comparison = summary.get("comparisons").get("rudder:bank_vs_grpo");
    assertEquals(0.5, comparison.get("rollouts_to_baseline_final_ratio").asDouble(), 1e-12);
    assertEquals(2, comparison.get("baseline_final_ratio_ci").size());
  }

  private static LearningRun.Curve withArm(LearningArm arm, LearningRun.Curve curve) {
    return new LearningRun.Curve(
        arm, curve.seed(), curve.points(), Map.of(), 0, 0, 1, 0.1, 0.5, 0.6, 1.5, 0.25);
  }
}
