package dev.rredcot.pipelines.group;

import dev.rredcot.pipelines.TestRollouts;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.jupiter.api.Test;

class TraceGroupCoderTest {
  private static final Coder<TraceGroup> CODER = TraceGroupCoder.of();

  private static TraceGroup fresh() {
    return TraceGroup.of(
        "g",
        3,
        false,
        List.of(TestRollouts.rollout("g", 1, 3, 0.0), TestRollouts.rollout("g", 0, 3, 1.0)));
  }

  /** Every optional field set: segmented, valued by a model, redistributed. */
  private static TraceGroup credited() {
    return fresh()
        .mapTraces(
            trace ->
                trace
                    .withSegments("hybrid", new int[] {0, 6, trace.tokenCount()}, 0.5)
                    .withValues("bank", new double[] {0.2, 0.7, 1.0}, 7L, 12.25)
                    .withSegmentRewards(
                        new double[] {0.2, 0.7, 1.0}, new double[] {0.5, 0.3}, 0.125));
  }

  @Test
  void decodesWhatItEncodesInEveryContext() throws Exception {
    for (TraceGroup group : List.of(fresh(), credited(), fresh().withTraces(List.of()))) {
      CoderProperties.coderDecodeEncodeEqual(CODER, group);
      CoderProperties.structuralValueDecodeEncodeEqual(CODER, group);
    }
  }

  @Test
  void isSerializableForTheRunners() {
    CoderProperties.coderSerializable(CODER);
  }

  @Test
  void valuesWithoutAModelVersionSurviveTheRoundTrip() throws Exception {
    TraceGroup unversioned =
        fresh().mapTraces(trace -> trace.withValues("mc", new double[] {0.1}, null, 1.0));
    CoderProperties.coderDecodeEncodeEqual(CODER, unversioned);
  }
}
