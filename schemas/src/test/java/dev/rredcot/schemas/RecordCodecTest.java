package dev.rredcot.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
  private final RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);

  @Test
  void roundTripsEveryContract() {
    Rollout rollout = Fixtures.rollout("r-1");
    assertEquals(rollout, codec.decode(codec.encode(rollout)));

    RecordCodec<PolicyCheckpoint> checkpoints = RecordCodec.of(PolicyCheckpoint.class);
    PolicyCheckpoint checkpoint = Fixtures.checkpoint();
    assertEquals(checkpoint, checkpoints.decode(checkpoints.encode(checkpoint)));
  }

  @Test
  void encodingStartsWithSingleObjectHeader() {
    byte[] bytes = codec.encode(Fixtures.rollout("r-1"));
    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
  }

  @Test
  void corruptBodyKeepsOriginalBytes() {
    byte[] good = codec.encode(Fixtures.rollout("r-1"));
    byte[] truncated = Arrays.copyOf(good, 14);
    RecordDecodingException error =
        assertThrows(RecordDecodingException.class, () -> codec.decode(truncated));
    assertEquals(RecordDecodingException.Reason.CORRUPT_BODY, error.reason());
    assertArrayEquals(truncated, error.originalBytes());
  }

  @Test
  void plainTextIsABadHeader() {
    byte[] text = "{\"rolloutId\": \"not avro\"}".getBytes();
    RecordDecodingException error =
        assertThrows(RecordDecodingException.class, () -> codec.decode(text));
    assertEquals(RecordDecodingException.Reason.BAD_HEADER, error.reason());
    assertArrayEquals(text, error.originalBytes());
  }

  @Test
  void unknownFingerprintIsReportedAsSuch() throws Exception {
    Schema stranger =
        SchemaBuilder.record("Stranger").namespace("x").fields().requiredString("a").endRecord();
    GenericRecord record = new GenericData.Record(stranger);
    record.put("a", "b");
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), stranger).encode(record).array();
    RecordDecodingException error =
        assertThrows(RecordDecodingException.class, () -> codec.decode(bytes));
    assertEquals(RecordDecodingException.Reason.UNKNOWN_SCHEMA, error.reason());
    assertArrayEquals(bytes, error.originalBytes());
  }

  @Test
  void emptyValueIsAnError() {
    RecordDecodingException error =
        assertThrows(RecordDecodingException.class, () -> codec.decode(new byte[0]));
    assertEquals(RecordDecodingException.Reason.EMPTY, error.reason());
  }

  @Test
  void kafkaSerdeUsesTheCodec() {
    AvroSerde<Rollout> serde = AvroSerde.of(Rollout.class);
    Rollout rollout = Fixtures.rollout("r-2");
    byte[] bytes = serde.serializer().serialize("rollouts", rollout);
    assertEquals(rollout, serde.deserializer().deserialize("rollouts", bytes));
    assertThrows(
        RecordDecodingException.class,
        () -> serde.deserializer().deserialize("rollouts", new byte[] {1, 2, 3}));
  }
}
