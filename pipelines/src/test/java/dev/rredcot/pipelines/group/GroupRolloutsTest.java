package dev.rredcot.pipelines.group;

import static dev.rredcot.pipelines.TestRollouts.rollout;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.model.trainer.GroupStatistics;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class GroupRolloutsTest {
  private static final long TIMEOUT_MS = 10_000;
  private static final long MARKER_TTL_MS = 60_000;

  private static TestStream.Builder<Rollout> stream() {
    return TestStream.create(AvroCoder.of(Rollout.class));
  }

  private static WithFailures.Result<PCollection<TraceGroup>, DeadLetter> group(
      TestPipeline pipeline, TestStream<Rollout> input) {
    return pipeline.apply(input).apply(GroupRollouts.of(TIMEOUT_MS, MARKER_TTL_MS));
  }

  private static TraceGroup expected(
      String groupId, int groupSize, boolean complete, Rollout... rollouts) {
    List<Rollout> all = List.of(rollouts);
    return new TraceGroup(
        groupId,
        groupSize,
        complete,
        GroupStatistics.of(all.stream().map(Rollout::getReward).collect(Collectors.toList())),
        all.stream().map(TraceCredit::of).collect(Collectors.toList()));
  }

  private static PAssert.IterableAssert<DeadLetter> assertSingleDeadLetter(
      PCollection<DeadLetter> failures, String reason, String rolloutId) {
    return PAssert.that(failures)
        .satisfies(
            letters -> {
              List<DeadLetter> all = new java.util.ArrayList<>();
              letters.forEach(all::add);
              assertThat(all.size(), equalTo(1));
              assertThat(all.get(0).getStage(), equalTo("GroupRollouts"));
              assertThat(all.get(0).getReason(), equalTo(reason));
              Rollout original =
                  dev.rredcot.pipelines.TestRollouts.CODEC.decode(
                      dev.rredcot.pipelines.deadletter.DeadLetters.valueBytes(all.get(0)));
              assertThat(original.getRolloutId(), equalTo(rolloutId));
              return null;
            });
  }

  @Test
  void emitsCompleteGroupWhenAllSamplesArrive(TestPipeline pipeline) {
    Rollout first = rollout("g1", 1, 2, 1.0);
    Rollout second = rollout("g1", 0, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(pipeline, stream().addElements(first, second).advanceWatermarkToInfinity());
    // Traces come out ordered by sample index.
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, second, first));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void emitsPartialGroupAfterTimeoutAndRejectsLaterSamples(TestPipeline pipeline) {
    // The timeout fires before the second sample: the group is credited with one sample, and the
    // straggler is late.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout straggler = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .advanceProcessingTime(Duration.millis(TIMEOUT_MS + 1))
                .addElements(straggler)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, false, first));
    assertSingleDeadLetter(result.failures(), "late-rollout", straggler.getRolloutId());
    pipeline.run().waitUntilFinish();
  }

  @Test
  void keepsWaitingBeforeTimeout(TestPipeline pipeline) {
    // Processing time advances, but less than the timeout: the straggler still completes the group.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .advanceProcessingTime(Duration.millis(TIMEOUT_MS - 1))
                .addElements(second)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void flushesIncompleteGroupAtEndOfInput(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 3, 1.0);
    Rollout second = rollout("g1", 2, 3, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(pipeline, stream().addElements(first, second).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 3, false, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void lateRolloutAfterCompleteGroupBecomesDeadLetter(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    Rollout late = Rollout.newBuilder(second).setRolloutId("g1-retry").build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream().addElements(first, second).addElements(late).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    assertSingleDeadLetter(result.failures(), "late-rollout", "g1-retry");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void ignoresDuplicateRolloutId(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .addElements(first)
                .addElements(second)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void conflictingSampleIndexBecomesDeadLetter(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout conflicting = Rollout.newBuilder(first).setRolloutId("g1-other").build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream().addElements(first).addElements(conflicting).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, false, first));
    assertSingleDeadLetter(result.failures(), "duplicate-sample-index", "g1-other");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void groupSizeMismatchBecomesDeadLetter(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout mismatched = rollout("g1", 1, 3, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream().addElements(first).addElements(mismatched).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, false, first));
    assertSingleDeadLetter(result.failures(), "group-size-mismatch", mismatched.getRolloutId());
    pipeline.run().waitUntilFinish();
  }

  @Test
  void forgetsEmittedGroupAfterMarkerExpiry(TestPipeline pipeline) {
    // State cleanup: once the emitted marker expires, the same group id starts a fresh group
    // instead of being rejected as late.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    Rollout again0 = Rollout.newBuilder(first).setRolloutId("g1-next-0").setReward(0.0).build();
    Rollout again1 = Rollout.newBuilder(second).setRolloutId("g1-next-1").build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first, second)
                .advanceProcessingTime(Duration.millis(MARKER_TTL_MS + 1))
                .addElements(again0, again1)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output())
        .containsInAnyOrder(
            expected("g1", 2, true, first, second), expected("g1", 2, true, again0, again1));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }
}
