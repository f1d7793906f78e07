package dev.rredcot.infra.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordJsonTest {
  private static ConsumerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
    return new ConsumerRecord<>(
        topic, 1, 7L, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  @Test
  void decodesARolloutWithItsFieldsAndEpochMillis() {
    Rollout rollout =
        SyntheticRollouts.builder()
            .optSeed(1)
            .optGroupSize(1)
            .optCreatedAt(Instant.ofEpochMilli(1234))
            .build()
            .group(0)
            .get(0);
    JsonNode line =
        RecordJson.forTopic("rollouts")
            .toJson(
                record(
                    "rollouts",
                    rollout.getGroupId(),
                    RecordCodec.of(Rollout.class).encode(rollout)));
    assertEquals(1, line.get("partition").asInt());
    assertEquals(7, line.get("offset").asLong());
    assertEquals(rollout.getGroupId(), line.get("key").asText());
    assertEquals(rollout.getRolloutId(), line.get("value").get("rolloutId").asText());
    assertEquals(rollout.getText(), line.get("value").get("text").asText());
    assertEquals(1234, line.get("value").get("createdAtMs").asLong());
    assertTrue(line.get("value").get("entropies").isNull());
  }

  @Test
  void showsADeadLettersBytesAsBase64() {
    byte[] original = {(byte) 0xC3, 1, 2, 3};
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setValue(ByteBuffer.wrap(original))
            .setStage("ParseRollout")
            .setErrorClass("x.Y")
            .setErrorMessage("bad")
            .setFailedAtMs(Instant.ofEpochMilli(5))
            .build();
    JsonNode line =
        RecordJson.forTopic("dead-letters")
            .toJson(record("dead-letters", null, RecordCodec.of(DeadLetter.class).encode(letter)));
    assertEquals(
        Base64.getEncoder().encodeToString(original), line.get("value").get("value").asText());
    assertTrue(line.get("value").get("key").isNull());
  }

  @Test
  void rendersUndecodableBytesAsAnErrorWithTheOriginalBytes() {
    byte[] text = "hello".getBytes(StandardCharsets.UTF_8);
    JsonNode line = RecordJson.forTopic("rollouts").toJson(record("rollouts", "k", text));
    assertFalse(line.has("value"));
    assertTrue(line.get("error").asText().startsWith("bad-header: "), line.toString());
    assertEquals(Base64.getEncoder().encodeToString(text), line.get("valueBase64").asText());
  }

  @Test
  void rendersATruncatedRecordAsCorruptBytes() {
    Rollout rollout = SyntheticRollouts.builder().optGroupSize(1).build().group(0).get(0);
    byte[] encoded = RecordCodec.of(Rollout.class).encode(rollout);
    byte[] truncated = Arrays.copyOf(encoded, encoded.length / 2);
    JsonNode line = RecordJson.forTopic("rollouts").toJson(record("rollouts", "k", truncated));
    assertTrue(line.get("error").asText().startsWith("corrupt-bytes: "), line.toString());
    assertEquals(Base64.getEncoder().encodeToString(truncated), line.get("valueBase64").asText());
  }

  @Test
  void rendersEmptyValuesAndNonUtf8KeysWithoutThrowing() {
    ConsumerRecord<byte[], byte[]> record =
        new ConsumerRecord<>("rollouts", 0, 0L, new byte[] {(byte) 0xFF}, new byte[0]);
    JsonNode line = RecordJson.forTopic("rollouts").toJson(record);
    assertEquals("/w==", line.get("key").get("base64").asText());
    assertTrue(line.get("error").asText().startsWith("empty-bytes"), line.toString());
  }
}
