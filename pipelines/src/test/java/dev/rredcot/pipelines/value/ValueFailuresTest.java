package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.pipelines.stage.EstimateValues;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Bad inputs to the policy estimators become dead letters of stage EstimateValues with a precise
 * reason, while the good traces of the same group are still valued.
 */
@ExtendWith(TestPipelineExtension.class)
class ValueFailuresTest {
  @TempDir static Path store;

  @BeforeAll
  static void writePolicy() throws IOException {
    TinyPolicies.save(store, 1, 5);
  }

  @Test
  void traceLongerThanTheModelContextIsDeadLetteredAsTraceTooLong(TestPipeline pipeline) {
    String longTrace = "1+1=2\n".repeat(20) + "A: 37\n";
    assertOneFailureBesideGoodTrace(
        pipeline, TinyPolicies.rollout("g", 1, 2, longTrace).build(), 2, "trace-too-long");
  }

  @Test
  void tokenIdsOutsideTheTokenizerAreDeadLetteredAsUnmappableTokens(TestPipeline pipeline) {
    Rollout bad = TinyPolicies.rollout("g", 1, 2, TinyPolicies.WRONG).build();
    List<Integer> tokens = new ArrayList<>(bad.getTokenIds());
    tokens.set(3, 999);
    bad.setTokenIds(tokens);
    assertOneFailureBesideGoodTrace(pipeline, bad, 2, "unmappable-tokens");
  }

  @Test
  void missingReferenceAnswerIsDeadLettered(TestPipeline pipeline) {
    Rollout bad =
        TinyPolicies.rollout("g", 1, 2, TinyPolicies.WRONG).setReferenceAnswer(" ").build();
    assertOneFailureBesideGoodTrace(pipeline, bad, 2, "missing-reference-answer");
  }

  @Test
  void rolloutWhoseGroupSizeDiffersFromItsGroupIsDeadLettered(TestPipeline pipeline) {
    Rollout bad = TinyPolicies.rollout("g", 1, 3, TinyPolicies.WRONG).build();
    assertOneFailureBesideGoodTrace(pipeline, bad, 2, "group-size-mismatch");
  }

  @Test
  void bankWithoutAnyCorrectContinuationIsDeadLetteredAsEmptyBank(TestPipeline pipeline) {
    Rollout wrong =
        TinyPolicies.rollout("g", 0, 1, TinyPolicies.WRONG).setReferenceSolution(null).build();
    TraceGroup group = TinyPolicies.group("g", 1, List.of(wrong));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        pipeline
            .apply(Create.of(group).withCoder(TraceGroupCoder.of()))
            .apply(EstimateValues.of(ValueEstimator.BANK, TinyPolicies.settings(store)));
    PAssert.that(result.output()).empty();
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo(EstimateValues.STAGE));
              assertThat(letter.getReason(), equalTo("empty-continuation-bank"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aGroupWithATraceThatFailsValuesIsCreditedWithItsSurvivorsCounted(TestPipeline pipeline) {
    // Three samples arrive; sample 2 has a token the tokenizer cannot map, so EstimateValues
    // dead-letters it. The other two are credited and say so: creditedCount 2 of groupCount 3.
    Rollout bad = TinyPolicies.rollout("g", 2, 3, TinyPolicies.WRONG).build();
    List<Integer> tokens = new ArrayList<>(bad.getTokenIds());
    tokens.set(3, 999);
    bad.setTokenIds(tokens);
    List<RawRecord> records =
        List.of(
            TestRollouts.raw(TinyPolicies.rollout("g", 0, 3, TinyPolicies.CORRECT).build(), 0),
            TestRollouts.raw(TinyPolicies.rollout("g", 1, 3, TinyPolicies.WRONG).build(), 1),
            TestRollouts.raw(bad, 2));
    CreditSettings settings =
        CreditSettings.builder()
            .optValueEstimator(ValueEstimator.ANSWER)
            .optModel(TinyPolicies.settings(store))
            .build();
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(settings));
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              List<String> ids = new ArrayList<>();
              for (CreditedRollout record : credited) {
                ids.add(record.getRolloutId());
                assertThat(record.getGroupCount(), equalTo(3));
                assertThat(record.getCreditedCount(), equalTo(2));
              }
              assertThat(ids, containsInAnyOrder("g-r0", "g-r1"));
              return null;
            });
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo(EstimateValues.STAGE));
              assertThat(letter.getReason(), equalTo("unmappable-tokens"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void nonFiniteValuesAreRejectedAsNonFiniteValue() {
    TraceCredit trace =
        TraceCredit.of(TinyPolicies.rollout("g", 0, 1, TinyPolicies.CORRECT).build());
    double[] values = ValueScorer.valuesFromAttributions(0.2, 0.6, new double[] {Double.NaN, 1});
    ValueScorer.Outcome outcome = ValueScorer.check(trace, 3, values);
    assertThat(outcome.values() == null, equalTo(true));
    assertThat(outcome.failure().reason(), equalTo("non-finite-value"));
  }

  @Test
  void attributionsMapToValuesFromPromptOnlyToFullTraceValue() {
    double[] values = ValueScorer.valuesFromAttributions(0.2, 0.6, new double[] {1, 3});
    assertThat(values.length, equalTo(3));
    assertThat(values[0], equalTo(0.2));
    assertThat(Math.abs(values[1] - 0.3) < 1e-12, equalTo(true));
    assertThat(Math.abs(values[2] - 0.6) < 1e-12, equalTo(true));
  }

  private static void assertOneFailureBesideGoodTrace(
      TestPipeline pipeline, Rollout bad, int groupSize, String reason) {
    Rollout good = TinyPolicies.rollout("g", 0, groupSize, TinyPolicies.CORRECT).build();
    TraceGroup group = TinyPolicies.group("g", groupSize, List.of(good, bad));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        pipeline
            .apply(Create.of(group).withCoder(TraceGroupCoder.of()))
            .apply(EstimateValues.of(ValueEstimator.ANSWER, TinyPolicies.settings(store)));
    PAssert.thatSingleton(result.output())
        .satisfies(
            valued -> {
              assertThat(valued.traces().size(), equalTo(1));
              TraceCredit trace = valued.traces().get(0);
              assertThat(trace.rollout().getRolloutId(), equalTo("g-r0"));
              assertThat(trace.boundaryValues().length, equalTo(trace.boundaries().length));
              return null;
            });
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo(EstimateValues.STAGE));
              assertThat(letter.getReason(), equalTo(reason));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
