package dev.rredcot.infra.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Renders Kafka records of one topic as single-line JSON: the value decoded with the topic's Avro
 * type, or, when it does not decode, an error and the original bytes in base64. Never throws for
 * bad bytes.
 *
 * <p>Line shape: {@code {"partition":0,"offset":12,"key":"g-0003","value":{...}}} or {@code
 * {"partition":0,"offset":13,"key":"corrupt-1","error":"bad-header: ...","valueBase64":"..."}}.
 * Bytes inside records (e.g. a dead letter's original value) are base64 strings, timestamps are
 * epoch milliseconds.
 */
public final class RecordJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<RecordCodec<? extends SpecificRecord>> EVERY_CODEC =
      TopicRecordTypes.all().stream()
          .<RecordCodec<? extends SpecificRecord>>map(RecordJson::codecOf)
          .toList();

  private final String topic;
  private final Optional<RecordCodec<? extends SpecificRecord>> codec;

  private RecordJson(String topic, Optional<RecordCodec<? extends SpecificRecord>> codec) {
    this.topic = topic;
    this.codec = codec;
  }

  /**
   * A renderer for {@code topic}. Values on a topic of another name (a replay's output, say) are
   * decoded by their schema fingerprint, which single-object encoding carries in every value.
   */
  public static RecordJson forTopic(String topic) {
    return new RecordJson(topic, TopicRecordTypes.of(topic).map(RecordJson::codecOf));
  }

  private static <T extends SpecificRecord> RecordCodec<? extends SpecificRecord> codecOf(
      Class<T> type) {
    return RecordCodec.of(type);
  }

  /** The JSON object for one record. */
  public ObjectNode toJson(ConsumerRecord<byte[], byte[]> record) {
    ObjectNode line = NODES.objectNode();
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.set("key", keyNode(record.key()));
    byte[] value = record.value();
    try {
      line.set(
          "value", valueNode(codec.isPresent() ? codec.get().decode(value) : byFingerprint(value)));
    } catch (RecordDecodingException e) {
      line.put("error", e.reason().label() + ": " + e.getMessage());
      line.put("valueBase64", base64(e.originalBytes()));
    } catch (RuntimeException e) {
      // Anything else a decoder may throw still must not stop the tail.
      line.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
      line.put("valueBase64", base64(value));
    }
    return line;
  }

  /** Decodes with the one known record type whose schema fingerprint the value names. */
  private Object byFingerprint(byte[] value) {
    RecordDecodingException last = null;
    for (RecordCodec<? extends SpecificRecord> candidate : EVERY_CODEC) {
      try {
        return candidate.decode(value);
      } catch (RecordDecodingException e) {
        if (e.reason() != RecordDecodingException.Reason.UNKNOWN_SCHEMA) {
          throw e;
        }
        last = e;
      }
    }
    throw new RecordDecodingException(
        "a record of topic " + topic + " (no known type has this schema fingerprint)",
        RecordDecodingException.Reason.UNKNOWN_SCHEMA,
        value,
        last);
  }

  /** The record as one line of JSON text. */
  public String toJsonLine(ConsumerRecord<byte[], byte[]> record) {
    try {
      return MAPPER.writeValueAsString(toJson(record));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON for a tree built here", e);
    }
  }

  /** An Avro value (record, array, map, union branch, primitive) as a JSON tree. */
  public static JsonNode valueNode(Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof IndexedRecord record) {
      ObjectNode object = NODES.objectNode();
      for (Schema.Field field : record.getSchema().getFields()) {
        object.set(field.name(), valueNode(record.get(field.pos())));
      }
      return object;
    }
    if (value instanceof CharSequence text) {
      return NODES.textNode(text.toString());
    }
    if (value instanceof Integer number) {
      return NODES.numberNode(number);
    }
    if (value instanceof Long number) {
      return NODES.numberNode(number);
    }
    if (value instanceof Float number) {
      return NODES.numberNode(number);
    }
    if (value instanceof Double number) {
      return NODES.numberNode(number);
    }
    if (value instanceof Boolean flag) {
      return NODES.booleanNode(flag);
    }
    if (value instanceof Instant instant) {
      return NODES.numberNode(instant.toEpochMilli());
    }
    if (value instanceof ByteBuffer buffer) {
      ByteBuffer copy = buffer.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return NODES.textNode(base64(bytes));
    }
    if (value instanceof GenericFixed fixed) {
      return NODES.textNode(base64(fixed.bytes()));
    }
    if (value instanceof GenericEnumSymbol<?> || value instanceof Enum<?>) {
      return NODES.textNode(value.toString());
    }
    if (value instanceof Collection<?> items) {
      ArrayNode array = NODES.arrayNode();
      items.forEach(item -> array.add(valueNode(item)));
      return array;
    }
    if (value instanceof Map<?, ?> entries) {
      ObjectNode object = NODES.objectNode();
      entries.forEach((key, item) -> object.set(String.valueOf(key), valueNode(item)));
      return object;
    }
    return NODES.textNode(value.toString());
  }

  private static JsonNode keyNode(byte[] key) {
    if (key == null) {
      return NODES.nullNode();
    }
    // Keys are group ids (UTF-8 text); anything else is shown in base64 rather than mangled.
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    try {
      return NODES.textNode(decoder.decode(ByteBuffer.wrap(key)).toString());
    } catch (java.nio.charset.CharacterCodingException e) {
      ObjectNode object = NODES.objectNode();
      object.put("base64", base64(key));
      return object;
    }
  }

  private static String base64(byte[] bytes) {
    return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
  }
}
