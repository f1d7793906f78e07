package dev.rredcot.pipelines.stage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class SegmentCoTTest {

  @Test
  void traceWithoutEntropiesLeavesGroupAsDeadLetterAndOthersGoOn(TestPipeline pipeline) {
    Rollout withEntropies =
        TestRollouts.rollout("g1", 0, 2, 1.0, "a\nb")
            .setEntropies(List.of(0.1f, 2.0f, 0.1f))
            .build();
    Rollout without = TestRollouts.rollout("g1", 1, 2, 0.0, "a\nb").build();
    TraceGroup group =
        new TraceGroup(
            "g1",
            2,
            true,
            GroupStatistics.of(List.of(1.0, 0.0)),
            List.of(TraceCredit.of(withEntropies), TraceCredit.of(without)));
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.HYBRID)
            .optTargetSegments(2)
            .build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        pipeline
            .apply(Create.of(group).withCoder(TraceGroupCoder.of()))
            .apply(SegmentCoT.of(settings));
    PAssert.thatSingleton(result.output())
        .satisfies(
            segmented -> {
              assertThat(segmented.traces().size(), equalTo(1));
              TraceCredit trace = segmented.traces().get(0);
              assertThat(trace.rollout().getRolloutId(), equalTo("g1-r0"));
              assertThat(trace.segmentation(), equalTo("hybrid"));
              assertThat(trace.boundaries(), equalTo(new int[] {0, 2, 3}));
              // Statistics stay those of the group as it arrived.
              assertThat(segmented.statistics().count(), equalTo(2));
              return null;
            });
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo("SegmentCoT"));
              assertThat(letter.getReason(), equalTo("missing-entropies"));
              assertThat(
                  TestRollouts.CODEC.decode(DeadLetters.valueBytes(letter)), equalTo(without));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
