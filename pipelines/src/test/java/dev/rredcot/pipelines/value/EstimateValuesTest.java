package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditRunResult;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every policy estimator end to end through {@link CreditRollouts} on a tiny random policy: one
 * value per boundary, values in [0, 1] where the estimator promises it, Σ r = ζ − v_0 on every
 * output, the scoring version recorded, and entropies scored for hybrid segmentation.
 */
@ExtendWith(TestPipelineExtension.class)
class EstimateValuesTest {
  @TempDir static Path store;

  @BeforeAll
  static void writePolicy() throws IOException {
    TinyPolicies.save(store, 1, 11);
  }

  @Test
  void answerValuesAreProbabilitiesAtEveryBoundaryAndReturnEquivalent(TestPipeline pipeline) {
    creditsGroupWith(pipeline, ValueEstimator.ANSWER, true);
  }

  @Test
  void bankValuesAreProbabilitiesAtEveryBoundaryAndReturnEquivalent(TestPipeline pipeline) {
    creditsGroupWith(pipeline, ValueEstimator.BANK, true);
  }

  @Test
  void monteCarloValuesAreFractionsAtEveryBoundaryAndReturnEquivalent(TestPipeline pipeline) {
    creditsGroupWith(pipeline, ValueEstimator.MC, true);
  }

  @Test
  void leaveOneOutValuesAreFiniteAtEveryBoundaryAndReturnEquivalent(TestPipeline pipeline) {
    creditsGroupWith(pipeline, ValueEstimator.LOO, false);
  }

  @Test
  void gradientValuesAreFiniteAtEveryBoundaryAndReturnEquivalent(TestPipeline pipeline) {
    creditsGroupWith(pipeline, ValueEstimator.GRADIENT, false);
  }

  @Test
  void rredcotMethodWithoutValueEstimatorFailsAtStartSayingWhatToChange() {
    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setCreditMethod("rredcot-reweight");
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> CreditSettings.fromOptions(options));
    assertThat(error.getMessage().contains("--value-estimator=answer"), equalTo(true));
  }

  @Test
  void rredcotPresetSetsMethodEstimatorAndSegmentation() {
    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setCredit("rredcot");
    options.setCheckpointDir(store.toString());
    CreditSettings settings = CreditSettings.fromOptions(options);
    assertThat(settings.valueEstimator(), equalTo(ValueEstimator.BANK));
    assertThat(settings.segmentation().strategy(), equalTo(SegmentationStrategy.HYBRID));
    assertThat(settings.advantages().rule(), equalTo(AdvantageRule.RREDCOT_REWEIGHT));
    assertThat(settings.model().checkpointDir(), equalTo(store.toString()));
  }

  private static void creditsGroupWith(
      TestPipeline pipeline, ValueEstimator estimator, boolean probabilities) {
    List<RawRecord> records = new ArrayList<>();
    String[] texts = {
      TinyPolicies.CORRECT, TinyPolicies.WRONG, TinyPolicies.CORRECT, TinyPolicies.WRONG
    };
    for (int i = 0; i < texts.length; i++) {
      Rollout rollout = TinyPolicies.rollout("g", i, texts.length, texts[i]).build();
      records.add(TestRollouts.raw(rollout, i));
    }
    CreditSettings settings =
        CreditSettings.builder()
            .optSegmentation(
                SegmentationSettings.builder()
                    .setStrategy(SegmentationStrategy.HYBRID)
                    .optTargetSegments(3)
                    .build())
            .optValueEstimator(estimator)
            .optModel(TinyPolicies.settings(store))
            .optAdvantages(new TokenAdvantages.Settings(AdvantageRule.RREDCOT_REWEIGHT, 1e-6, 2.0))
            .build();
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(settings));
    PAssert.that(result.failures()).empty();
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              List<String> ids = new ArrayList<>();
              for (CreditedRollout c : credited) {
                ids.add(c.getRolloutId());
                assertThat(c.getValueEstimator(), equalTo(estimator.optionValue()));
                assertThat(c.getScoringPolicyVersion(), equalTo(1L));
                List<Double> values = c.getBoundaryValues();
                assertThat(values.size(), equalTo(c.getSegmentBoundaries().size()));
                assertThat(values.size(), greaterThan(2));
                double sum = c.getSegmentRewards().stream().mapToDouble(Double::doubleValue).sum();
                assertThat(sum, closeTo(c.getReward() - values.get(0), 1e-9));
                for (double v : values) {
                  assertThat(Double.isFinite(v), equalTo(true));
                  if (probabilities) {
                    assertThat(v, greaterThanOrEqualTo(0.0));
                    assertThat(v, lessThanOrEqualTo(1.0));
                  }
                }
              }
              assertThat(ids, containsInAnyOrder("g-r0", "g-r1", "g-r2", "g-r3"));
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    CreditRunResult metrics = CreditRunResult.of(run);
    assertThat(metrics.counter("stage/EstimateValues/in"), equalTo(4L));
    assertThat(metrics.counter("stage/EstimateValues/out"), equalTo(4L));
    assertThat(metrics.counter("model-forward-tokens"), greaterThan(0L));
    assertThat(metrics.distributions().get("segments-per-rollout").count(), equalTo(4L));
    assertThat(metrics.distributions().get("scorer-batch-traces").sum(), equalTo(4L));
    // Generated by v1, valued while v1 is the newest held: 0 versions behind.
    assertThat(metrics.counter("staleness-versions/le-0"), equalTo(4L));
    assertThat(metrics.counter("staleness-versions/count"), equalTo(4L));
    assertThat(metrics.distributions().get("staleness-versions").max(), equalTo(0L));
    long policyVersion = -1;
    for (MetricResult<GaugeResult> gauge :
        run.metrics().queryMetrics(MetricsFilter.builder().build()).getGauges()) {
      if (gauge.getName().getName().equals(StageMetrics.POLICY_VERSION)) {
        policyVersion = gauge.getAttempted().getValue();
      }
    }
    assertThat(policyVersion, equalTo(1L));
  }
}
