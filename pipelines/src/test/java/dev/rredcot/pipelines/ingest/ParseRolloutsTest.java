package dev.rredcot.pipelines.ingest;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.Arrays;
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
class ParseRolloutsTest {

  /** Runs ParseRollouts on one record and asserts it became exactly one dead letter. */
  private static void assertDeadLetter(TestPipeline pipeline, RawRecord record, String reason) {
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(record).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.create());
    PAssert.that(result.output()).empty();
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              List<DeadLetter> all = new java.util.ArrayList<>();
              letters.forEach(all::add);
              assertThat(all.size(), equalTo(1));
              DeadLetter letter = all.get(0);
              assertThat(letter.getStage(), equalTo("ParseRollout"));
              assertThat(letter.getReason(), equalTo(reason));
              assertThat(
                  Arrays.equals(
                      DeadLetters.valueBytes(letter),
                      record.value() == null ? new byte[0] : record.value()),
                  equalTo(true));
              assertThat(Arrays.equals(DeadLetters.keyBytes(letter), record.key()), equalTo(true));
              assertThat(letter.getSourceTopic(), equalTo("rollouts"));
              assertThat(letter.getSourcePartition(), equalTo(record.partition()));
              assertThat(letter.getSourceOffset(), equalTo(record.offset()));
              assertThat(letter.getErrorMessage().isEmpty(), equalTo(false));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  private static RawRecord rawValue(byte[] value) {
    return RawRecord.of("g1".getBytes(), value, "rollouts", 1, 17L);
  }

  @Test
  void parsesValidRollout(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 0, 2, 1.0);
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(TestRollouts.raw(rollout, 5)).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.create());
    PAssert.that(result.output()).containsInAnyOrder(rollout);
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void recordOverTheSizeLimitBecomesDeadLetterWithItsOriginalBytes(TestPipeline pipeline) {
    RawRecord big = TestRollouts.raw(TestRollouts.rollout("g1", 0, 2, 1.0), 17);
    RawRecord small =
        RawRecord.of("g1".getBytes(), "not avro at all".getBytes(), "rollouts", 1, 18L);
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(big, small).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.of(big.value().length - 1));
    PAssert.that(result.output()).empty();
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              List<String> reasons = new java.util.ArrayList<>();
              for (DeadLetter letter : letters) {
                reasons.add(letter.getReason().toString());
                if (letter.getReason().toString().equals(ParseRollouts.RECORD_TOO_LARGE)) {
                  assertThat(
                      Arrays.equals(DeadLetters.valueBytes(letter), big.value()), equalTo(true));
                  assertThat(
                      letter.getErrorMessage(),
                      containsString(big.value().length + " bytes is larger than the limit"));
                }
              }
              java.util.Collections.sort(reasons);
              // The small record is under the limit and fails decoding instead.
              assertThat(reasons, equalTo(List.of("bad-header", ParseRollouts.RECORD_TOO_LARGE)));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void emptyBytesBecomeDeadLetter(TestPipeline pipeline) {
    assertDeadLetter(pipeline, rawValue(new byte[0]), "empty-bytes");
  }

  @Test
  void bytesWithoutAvroHeaderBecomeDeadLetter(TestPipeline pipeline) {
    assertDeadLetter(pipeline, rawValue("not avro at all".getBytes()), "bad-header");
  }

  @Test
  void truncatedBodyBecomesDeadLetter(TestPipeline pipeline) {
    byte[] full = TestRollouts.CODEC.encode(TestRollouts.rollout("g1", 0, 2, 1.0));
    assertDeadLetter(pipeline, rawValue(Arrays.copyOf(full, 20)), "corrupt-bytes");
  }

  @Test
  void emptyTraceBecomesDeadLetter(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 0, 2, 1.0, "").build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "empty-trace");
  }

  @Test
  void logProbsOfWrongLengthBecomeDeadLetter(TestPipeline pipeline) {
    Rollout rollout =
        TestRollouts.rollout("g1", 0, 2, 1.0, "abc").setLogProbs(List.of(-1f)).build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "logprobs-length-mismatch");
  }

  @Test
  void missingReferenceAnswerBecomesDeadLetter(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 0, 2, 1.0, "abc").setReferenceAnswer(" ").build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "missing-reference-answer");
  }

  @Test
  void sampleIndexOutsideGroupBecomesDeadLetter(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 2, 2, 1.0, "abc").build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "sample-index-out-of-range");
  }

  @Test
  void groupSizeBelowOneBecomesDeadLetter(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 0, 0, 1.0, "abc").build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "invalid-group-size");
  }

  @Test
  void rewardOutsideUnitIntervalBecomesDeadLetter(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 0, 2, Double.NaN, "abc").build();
    assertDeadLetter(pipeline, TestRollouts.raw(rollout, 3), "invalid-reward");
  }

  @Test
  void deadLetterMessageNamesTheProblem(TestPipeline pipeline) {
    Rollout rollout = TestRollouts.rollout("g1", 5, 2, 1.0, "abc").build();
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(TestRollouts.raw(rollout, 3)).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.create());
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getErrorMessage(), containsString("sampleIndex 5 not in [0, 2)"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
