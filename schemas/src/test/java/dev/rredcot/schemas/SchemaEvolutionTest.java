package dev.rredcot.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/** The evolution rule: a reader of the current schema reads everything written by older ones. */
class SchemaEvolutionTest {
  private final RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);

  @Test
  void currentReaderReadsDataWrittenWithPreviousSchema() throws Exception {
    Schema v1 = codec.historicSchemas().get(0);
    assertNull(v1.getField("taskFamily"), "v1 predates taskFamily");

    GenericRecord old = new GenericData.Record(v1);
    old.put("rolloutId", "old-1");
    old.put("promptId", "p");
    old.put("groupId", "g");
    old.put("sampleIndex", 1);
    old.put("groupSize", 2);
    old.put("policyVersion", 0L);
    old.put("promptText", "Q: 1+1\n");
    old.put("tokenIds", List.of(1, 2));
    old.put("text", "A: 2");
    old.put("logProbs", List.of(-0.5f, -0.25f));
    old.put("entropies", null);
    old.put("extractedAnswer", "2");
    old.put("referenceAnswer", "2");
    old.put("referenceSolution", null);
    old.put("reward", 1.0);
    old.put("createdAtMs", 5L);
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

    Rollout read = codec.decode(bytes);
    assertEquals("old-1", read.getRolloutId());
    assertEquals("arith", read.getTaskFamily(), "added field takes its default");
    assertEquals(List.of(-0.5f, -0.25f), read.getLogProbs());
  }

  @Test
  void avroAgreesEveryHistoricSchemaIsReadable() {
    for (Class<? extends org.apache.avro.specific.SpecificRecord> type :
        List.of(
            Prompt.class,
            Rollout.class,
            CreditedRollout.class,
            PolicyCheckpoint.class,
            DeadLetter.class)) {
      RecordCodec<?> typeCodec = RecordCodec.of(type);
      for (Schema writer : typeCodec.historicSchemas()) {
        SchemaCompatibility.SchemaPairCompatibility result =
            SchemaCompatibility.checkReaderWriterCompatibility(typeCodec.schema(), writer);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, result.getType(), result.getDescription());
      }
    }
  }

  @Test
  void avroRejectsAFieldAddedWithoutDefault() {
    // The rule's negative case: a required field without default breaks old data.
    Schema v1 = codec.historicSchemas().get(0);
    List<Schema.Field> fields = new java.util.ArrayList<>();
    for (Schema.Field field : codec.schema().getFields()) {
      fields.add(
          field.name().equals("taskFamily")
              ? new Schema.Field(field.name(), field.schema(), field.doc())
              : new Schema.Field(field, field.schema()));
    }
    Schema broken = Schema.createRecord("Rollout", null, "dev.rredcot.schemas", false, fields);
    assertFalse(broken.getField("taskFamily").hasDefaultValue(), "fixture must drop the default");
    assertEquals(
        SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(broken, v1).getType());
  }
}
