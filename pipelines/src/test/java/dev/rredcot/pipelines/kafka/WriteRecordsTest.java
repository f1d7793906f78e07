package dev.rredcot.pipelines.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Outputs too large for one Kafka message become dead letters (reason record-too-large) instead of
 * failing the producer, and dead letters too large are truncated with their original size stated.
 */
@ExtendWith(TestPipelineExtension.class)
class WriteRecordsTest {
  private static final int MAX_MESSAGE_BYTES = 2048;
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);

  @Test
  void anOversizedOutputBecomesADeadLetterWithItsBytes(TestPipeline pipeline) {
    Rollout small = TestRollouts.rollout("small", 0, 2, 1.0);
    Rollout large =
        Rollout.newBuilder(TestRollouts.rollout("large", 1, 2, 0.0))
            .setPromptText("x".repeat(5000))
            .build();
    byte[] largeBytes = ROLLOUTS.encode(large);
    PCollectionTuple encoded =
        WriteRecords.of("unused:9092", "rollouts", Rollout.class, Rollout::getGroupId)
            .withMaxMessageBytes(MAX_MESSAGE_BYTES)
            .withDeadLetterTopic("dead-letters")
            .encode(pipeline.apply(Create.of(small, large)));
    PAssert.that(encoded.get(WriteRecords.FITS))
        .satisfies(
            written -> {
              List<KV<byte[], byte[]>> all = new ArrayList<>();
              written.forEach(all::add);
              assertThat(all.size(), equalTo(1));
              assertThat(new String(all.get(0).getKey()), equalTo("small"));
              assertThat(ROLLOUTS.decode(all.get(0).getValue()), equalTo(small));
              return null;
            });
    PAssert.that(encoded.get(WriteRecords.TOO_LARGE))
        .satisfies(
            letters -> {
              List<DeadLetter> all = new ArrayList<>();
              letters.forEach(all::add);
              assertThat(all.size(), equalTo(1));
              DeadLetter letter = all.get(0);
              assertThat(letter.getReason(), equalTo(WriteRecords.RECORD_TOO_LARGE));
              assertThat(letter.getStage(), equalTo(WriteRecords.STAGE));
              assertThat(letter.getErrorMessage(), containsString(largeBytes.length + " bytes"));
              assertThat(Arrays.equals(DeadLetters.valueBytes(letter), largeBytes), equalTo(true));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void anOversizedDeadLetterIsTruncatedAndSaysSo(TestPipeline pipeline) {
    byte[] original = new byte[10_000];
    Arrays.fill(original, (byte) 7);
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setKey(ByteBuffer.wrap("g".getBytes()))
            .setValue(ByteBuffer.wrap(original))
            .setStage("ParseRollout")
            .setReason("record-too-large")
            .setErrorClass("x")
            .setErrorMessage("too large")
            .setFailedAtMs(Instant.ofEpochMilli(1))
            .build();
    PCollectionTuple encoded =
        WriteRecords.of("unused:9092", "dead-letters", DeadLetter.class, DeadLetter::getStage)
            .withMaxMessageBytes(MAX_MESSAGE_BYTES)
            .encode(pipeline.apply(Create.of(letter).withCoder(DeadLetters.coder())));
    PAssert.that(encoded.get(WriteRecords.TOO_LARGE)).empty();
    PAssert.that(encoded.get(WriteRecords.FITS))
        .satisfies(
            written -> {
              KV<byte[], byte[]> only = written.iterator().next();
              assertThat(
                  only.getKey().length + only.getValue().length + 256,
                  lessThanOrEqualTo(MAX_MESSAGE_BYTES));
              DeadLetter shrunk = RecordCodec.of(DeadLetter.class).decode(only.getValue());
              byte[] kept = DeadLetters.valueBytes(shrunk);
              assertThat(kept.length > 0, equalTo(true));
              assertThat(Arrays.equals(kept, Arrays.copyOf(original, kept.length)), equalTo(true));
              assertThat(
                  shrunk.getErrorMessage(),
                  containsString(
                      "truncated to its first " + kept.length + " of " + original.length));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
