package dev.rredcot.pipelines.stage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The credited-record size check: a trace whose credited record would not fit in one message of the
 * output topic is a dead letter before {@code creditedCount} is set, so the rest of its group is
 * credited with a count that the trainer can reach.
 */
@ExtendWith(TestPipelineExtension.class)
class ComputeAdvantagesTest {
  private static final int MAX_MESSAGE_BYTES = 4096;

  @Test
  void aTraceTooLargeForTheTopicIsADeadLetterAndNotCountedInItsGroup(TestPipeline pipeline) {
    // Three members; the third carries a long (but valid) trace whose credited record, with a
    // float advantage per token, is over the message size while its input record is not.
    String longText = "12+30=42\n".repeat(60) + "A: 42\n";
    Rollout big = TestRollouts.rollout("g1", 2, 3, 1.0, longText).build();
    int inputBytes = TestRollouts.CODEC.encode(big).length;
    assertThat(inputBytes, lessThan(MAX_MESSAGE_BYTES - 256));
    List<RawRecord> records = new ArrayList<>();
    records.add(TestRollouts.raw(TestRollouts.rollout("g1", 0, 3, 1.0), 0));
    records.add(TestRollouts.raw(TestRollouts.rollout("g1", 1, 3, 0.0), 1));
    records.add(TestRollouts.raw(big, 2));
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(
                CreditRollouts.of(
                    CreditSettings.builder().optMaxMessageBytes(MAX_MESSAGE_BYTES).build()));
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              List<String> ids = new ArrayList<>();
              RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);
              for (CreditedRollout record : credited) {
                ids.add(record.getRolloutId());
                // The group arrived with 3 members; the trainer must complete it at 2.
                assertThat(record.getGroupCount(), equalTo(3));
                assertThat(record.getCreditedCount(), equalTo(2));
                assertThat(
                    WriteRecords.fits(
                        record.getGroupId().length(),
                        codec.encode(record).length,
                        MAX_MESSAGE_BYTES),
                    equalTo(true));
              }
              assertThat(ids, containsInAnyOrder("g1-r0", "g1-r1"));
              return null;
            });
    PAssert.thatSingleton(result.failures())
        .satisfies(
            letter -> {
              assertThat(letter.getStage(), equalTo(ComputeAdvantages.STAGE));
              assertThat(letter.getReason(), equalTo(WriteRecords.RECORD_TOO_LARGE));
              assertThat(letter.getErrorMessage(), containsString("(--max-message-bytes)"));
              Rollout original = TestRollouts.CODEC.decode(DeadLetters.valueBytes(letter));
              assertThat(original.getRolloutId(), equalTo("g1-r2"));
              assertThat(original.getText(), equalTo(longText));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void theSameGroupFitsUnderTheDefaultMessageSize(TestPipeline pipeline) {
    // The control: with a 1 MiB message every member is credited and counted.
    String longText = "12+30=42\n".repeat(60) + "A: 42\n";
    List<RawRecord> records = new ArrayList<>();
    records.add(TestRollouts.raw(TestRollouts.rollout("g1", 0, 3, 1.0), 0));
    records.add(TestRollouts.raw(TestRollouts.rollout("g1", 1, 3, 0.0), 1));
    records.add(TestRollouts.raw(TestRollouts.rollout("g1", 2, 3, 1.0, longText).build(), 2));
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(CreditSettings.builder().build()));
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              int count = 0;
              for (CreditedRollout record : credited) {
                count++;
                assertThat(record.getCreditedCount(), equalTo(3));
                if (record.getRolloutId().equals("g1-r2")) {
                  assertThat(
                      RecordCodec.of(CreditedRollout.class).encode(record).length,
                      greaterThan(MAX_MESSAGE_BYTES));
                }
              }
              assertThat(count, equalTo(3));
              return null;
            });
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }
}
