package dev.rredcot.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class CreditRolloutsTest {
  private static final double EPSILON = 1e-6;

  @Test
  void grpoCreditsEveryTraceWithGroupNormalisedAdvantage(TestPipeline pipeline) {
    // Rewards 1, 0, 0, 1: mean 0.5, population std 0.5, so A = ±0.5 / (0.5 + ε) on every token.
    List<RawRecord> records = new ArrayList<>();
    double[] rewards = {1, 0, 0, 1};
    for (int i = 0; i < rewards.length; i++) {
      records.add(TestRollouts.raw(TestRollouts.rollout("g1", i, 4, rewards[i]), i));
    }
    records.add(RawRecord.of(null, new byte[] {1, 2, 3}, "rollouts", 0, 99L));
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(CreditSettings.grpo(60_000, 600_000)));
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              List<String> ids = new ArrayList<>();
              for (CreditedRollout c : credited) {
                ids.add(c.getRolloutId());
                double expectedAdvantage = (c.getReward() - 0.5) / (0.5 + EPSILON);
                int tokens = c.getTokenIds().size();
                assertThat(c.getCreditMethod(), equalTo("grpo"));
                assertThat(c.getValueEstimator(), equalTo("none"));
                assertThat(c.getSegmentation(), equalTo("single"));
                assertThat(c.getSegmentBoundaries(), contains(0, tokens));
                assertThat(c.getBoundaryValues(), contains(0.5, c.getReward()));
                assertThat(c.getSegmentRewards().size(), equalTo(1));
                assertThat(c.getSegmentRewards().get(0), closeTo(c.getReward() - 0.5, 1e-12));
                assertThat(c.getTokenAdvantages().size(), equalTo(tokens));
                for (float advantage : c.getTokenAdvantages()) {
                  assertThat((double) advantage, closeTo(expectedAdvantage, 1e-6));
                }
                assertThat(c.getGroupMean(), closeTo(0.5, 1e-12));
                assertThat(c.getGroupStd(), closeTo(0.5, 1e-12));
                assertThat(c.getGroupCount(), equalTo(4));
                assertThat(c.getGroupComplete(), equalTo(true));
                assertThat(c.getScoringPolicyVersion(), equalTo(null));
                assertThat(
                    c.getTimingsMs().keySet(),
                    containsInAnyOrder("segment", "value", "redistribute", "advantage"));
              }
              assertThat(ids, containsInAnyOrder("g1-r0", "g1-r1", "g1-r2", "g1-r3"));
              return null;
            });
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo("ParseRollout"));
              assertThat(letter.getReason(), equalTo("bad-header"));
              assertThat(letter.getSourceOffset(), equalTo(99L));
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    Map<String, Long> counters = CreditPipeline.counters(run);
    assertThat(counters.get("rollouts-credited"), equalTo(4L));
    assertThat(counters.get("groups-complete"), equalTo(1L));
    assertThat(counters.get("dead-letters/ParseRollout/bad-header"), equalTo(1L));
  }

  @Test
  void rejectsModelFreeValuesWithMultipleSegmentsAtStart() {
    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setSegmentation("keyword");
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> CreditSettings.fromOptions(options));
    assertThat(error.getMessage().contains("use --segmentation=single"), equalTo(true));
  }

  @Test
  void rejectsUnknownCreditMethodWithTheValidOnes() {
    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setCreditMethod("ppo");
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> CreditSettings.fromOptions(options));
    assertThat(
        error.getMessage(),
        equalTo(
            "unknown creditMethod 'ppo': use grpo, rredcot-reweight, rredcot-dense, rredcot-rudder,"
                + " rredcot-rudder-anchored, rredcot-rudder-calibrated or"
                + " rredcot-rudder-calibrated-prior"));
  }

  @Test
  void groupSizeBoundsComeFromTheOptions() {
    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setMaxGroupSize(8);
    RolloutContract contract = CreditSettings.fromOptions(options).contract();
    assertThat(
        contract.firstViolation(TestRollouts.rollout("g1", 0, 8, 1.0)).isPresent(), equalTo(false));
    assertThat(
        contract.firstViolation(TestRollouts.rollout("g1", 0, 16, 1.0)).get().reason(),
        equalTo("invalid-group-size"));
    options.setMinGroupSize(9);
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> CreditSettings.fromOptions(options));
    assertThat(error.getMessage().contains("--min-group-size"), equalTo(true));
  }
}
