package dev.rredcot.pipelines.ingest;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Explicit decode limits: a record may not declare more collection items or string bytes than the
 * limits allow, whatever Avro's process-wide defaults are, and a record within them decodes as the
 * plain codec decodes it.
 */
@ExtendWith(TestPipelineExtension.class)
class BoundedRecordDecoderTest {

  /**
   * A single-object Rollout whose fields up to {@code tokenIds} are valid and whose {@code
   * tokenIds} array declares {@code items} items and then ends: a few dozen bytes.
   */
  private static byte[] declaringTokenIds(long items) throws IOException {
    ByteArrayOutputStream out = header();
    BinaryEncoder body = EncoderFactory.get().directBinaryEncoder(out, null);
    body.writeString("r");
    body.writeString("p");
    body.writeString("g");
    body.writeInt(0);
    body.writeInt(2);
    body.writeLong(0);
    body.writeString("arith");
    body.writeString("Q: 1+1=?\n");
    body.writeLong(items); // the array's first block count
    body.flush();
    return out.toByteArray();
  }

  /** A single-object Rollout whose {@code rolloutId} declares {@code bytes} bytes and ends. */
  private static byte[] declaringRolloutIdBytes(long bytes) throws IOException {
    ByteArrayOutputStream out = header();
    BinaryEncoder body = EncoderFactory.get().directBinaryEncoder(out, null);
    body.writeLong(bytes);
    body.writeFixed(new byte[] {'r', 'r', 'r'});
    body.flush();
    return out.toByteArray();
  }

  private static ByteArrayOutputStream header() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xC3);
    out.write(0x01);
    long fingerprint = SchemaNormalization.parsingFingerprint64(Rollout.getClassSchema());
    out.writeBytes(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint).array());
    return out;
  }

  @Test
  void anArrayDeclaringTwoToTheThirtyOneMinusNineItemsIsRefusedByTheLimit() throws IOException {
    byte[] bytes = declaringTokenIds((1L << 31) - 9);
    assertThat(bytes.length, lessThan(80));
    BoundedRecordDecoder<Rollout> decoder =
        BoundedRecordDecoder.forRecordsOf(Rollout.class, ParseRollouts.DEFAULT_MAX_RECORD_BYTES);
    RecordDecodingException e =
        assertThrows(RecordDecodingException.class, () -> decoder.decode(bytes));
    assertThat(e.reason(), equalTo(RecordDecodingException.Reason.CORRUPT_BODY));
    assertThat(e.getMessage(), containsString("more than the limit of 1048576"));
  }

  @Test
  void aStringDeclaringMoreBytesThanTheLimitIsRefusedBeforeAllocation() throws IOException {
    byte[] bytes = declaringRolloutIdBytes(1L << 30);
    BoundedRecordDecoder<Rollout> decoder =
        BoundedRecordDecoder.forRecordsOf(Rollout.class, ParseRollouts.DEFAULT_MAX_RECORD_BYTES);
    RecordDecodingException e =
        assertThrows(RecordDecodingException.class, () -> decoder.decode(bytes));
    assertThat(e.reason(), equalTo(RecordDecodingException.Reason.CORRUPT_BODY));
    assertThat(e.getMessage(), containsString("declares 1073741824 bytes, not in [0, 1048576]"));
  }

  @Test
  void theLimitsAreTheOnesSetHere() {
    Rollout rollout = TestRollouts.rollout("g1", 0, 4, 1.0);
    byte[] bytes = TestRollouts.CODEC.encode(rollout);
    int items = rollout.getTokenIds().size() + rollout.getLogProbs().size();
    // Exactly enough items and string bytes: decodes as the plain codec does.
    int longestString =
        java.util.stream.Stream.of(
                rollout.getRolloutId(),
                rollout.getPromptId(),
                rollout.getGroupId(),
                rollout.getTaskFamily(),
                rollout.getPromptText(),
                rollout.getText(),
                rollout.getReferenceAnswer())
            .mapToInt(String::length)
            .max()
            .getAsInt();
    Rollout decoded = BoundedRecordDecoder.of(Rollout.class, items, longestString).decode(bytes);
    assertThat(decoded, equalTo(TestRollouts.CODEC.decode(bytes)));
    RecordDecodingException tooManyItems =
        assertThrows(
            RecordDecodingException.class,
            () -> BoundedRecordDecoder.of(Rollout.class, items - 1, 1 << 20).decode(bytes));
    assertThat(tooManyItems.getMessage(), containsString("more than the limit of " + (items - 1)));
    RecordDecodingException tooLongString =
        assertThrows(
            RecordDecodingException.class,
            () -> BoundedRecordDecoder.of(Rollout.class, 1 << 20, longestString - 1).decode(bytes));
    assertThat(tooLongString.getMessage(), containsString("(the limit)"));
  }

  @Test
  void anOverDeclaringRecordIsADeadLetterAndTheNextRecordIsParsed(TestPipeline pipeline)
      throws IOException {
    byte[] bytes = declaringTokenIds((1L << 31) - 9);
    RawRecord poison = RawRecord.of("g".getBytes(), bytes, "rollouts", 0, 0);
    RawRecord good = TestRollouts.raw(TestRollouts.rollout("g1", 0, 4, 1.0), 1);
    WithFailures.Result<PCollection<Rollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(poison, good).withCoder(RawRecordCoder.of()))
            .apply(ParseRollouts.create());
    PAssert.that(result.output()).containsInAnyOrder(TestRollouts.CODEC.decode(good.value()));
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              DeadLetter letter = letters.iterator().next();
              assertThat(letter.getReason().toString(), equalTo("corrupt-bytes"));
              assertThat(letter.getSourceOffset(), equalTo(0L));
              assertThat(Arrays.equals(DeadLetters.valueBytes(letter), bytes), equalTo(true));
              assertThat(letter.getErrorMessage().toString(), containsString("limit"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
