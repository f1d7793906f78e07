package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditRunResult;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.stage.EstimateValues;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
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
  private static Checkpoint checkpoint;

  @BeforeAll
  static void writePolicy() throws IOException {
    checkpoint = TinyPolicies.save(store, 1, 11);
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
  void groupsOfABundleAreValuedInSharedCallsAsTheyAreAlone(TestPipeline pipeline)
      throws IOException {
    // Three groups of four in one bundle (one TestStream step): one bank call for all twelve
    // traces.
    assertBundleValuedAsGroupsAlone(pipeline, TinyPolicies.settings(store), 1, 12);
  }

  @Test
  void aBundleIsScoredWheneverItsTracesReachTheBatchLimit(TestPipeline pipeline)
      throws IOException {
    // With at most four traces per call, each group of four is scored as soon as it arrives.
    ModelSettings settings =
        ModelSettings.builder()
            .setCheckpointDir(store.toString())
            .optMcSamples(4)
            .optMaxBatchTraces(4)
            .build();
    assertBundleValuedAsGroupsAlone(pipeline, settings, 3, 4);
  }

  /**
   * Three groups of four in one bundle through the bank values stage: every trace's values as
   * GroupCreditor gives them for its group alone, in {@code calls} policy calls of at most {@code
   * maxTraces} traces.
   */
  private static void assertBundleValuedAsGroupsAlone(
      TestPipeline pipeline, ModelSettings settings, long calls, long maxTraces)
      throws IOException {
    List<TraceGroup> groups = new ArrayList<>();
    for (String id : List.of("a", "b", "c")) {
      List<Rollout> rollouts = new ArrayList<>();
      String[] texts = {
        TinyPolicies.CORRECT,
        TinyPolicies.WRONG,
        id.equals("b") ? TinyPolicies.WRONG : TinyPolicies.CORRECT,
        TinyPolicies.WRONG
      };
      for (int i = 0; i < texts.length; i++) {
        rollouts.add(TinyPolicies.rollout(id, i, texts.length, texts[i]).build());
      }
      groups.add(TinyPolicies.group(id, texts.length, rollouts));
    }
    GroupCreditor creditor =
        GroupCreditor.builder().optValueEstimator(ValueEstimator.BANK).optModel(settings).build();
    Map<String, double[]> expected = new HashMap<>();
    try (Policy policy = Policy.load(checkpoint)) {
      for (TraceGroup group : groups) {
        for (TraceStep step :
            creditor.values(policy, group, group.traces(), ValueScorer.BatchObserver.NONE)) {
          expected.put(step.trace().rollout().getRolloutId(), step.trace().boundaryValues());
        }
      }
    }
    PCollection<TraceGroup> valued =
        pipeline
            .apply(
                TestStream.create(TraceGroupCoder.of())
                    .addElements(groups.get(0), groups.get(1), groups.get(2))
                    .advanceWatermarkToInfinity())
            .apply(EstimateValues.of(ValueEstimator.BANK, settings))
            .output();
    PAssert.that(valued)
        .satisfies(
            out -> {
              int traces = 0;
              for (TraceGroup group : out) {
                for (TraceCredit trace : group.traces()) {
                  String id = trace.rollout().getRolloutId();
                  assertArrayEquals(expected.get(id), trace.boundaryValues(), 1e-6, id);
                  traces++;
                }
              }
              assertThat(traces, equalTo(12));
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    CreditRunResult.Distribution batches =
        CreditRunResult.of(run).distributions().get(StageMetrics.SCORER_BATCH_TRACES);
    assertThat(batches.count(), equalTo(calls));
    assertThat(batches.max(), equalTo(maxTraces));
    assertThat(batches.sum(), equalTo(12L));
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
    assertThat(settings.advantages().rule(), equalTo(AdvantageRule.RREDCOT_RUDDER_CALIBRATED));
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
