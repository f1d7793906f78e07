package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * JSON helpers of the evaluation summaries: a number that is undefined is written as {@code null}
 * with a {@code <field>_null_reason} next to it, never as NaN (which JSON has not).
 */
public final class SummaryJson {
  /** The mapper both evaluations write with (indented). */
  public static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SummaryJson() {}

  /** A new empty object. */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Puts {@code value}, or null plus {@code field_null_reason = reason} when not finite. */
  public static void number(ObjectNode node, String field, double value, String reason) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    } else {
      node.putNull(field);
      node.put(field + "_null_reason", reason);
    }
  }

  /** Puts {@code [low, high]} of an interval, or null with a reason when undefined. */
  public static void interval(ObjectNode node, String field, BootstrapInterval interval) {
    if (Double.isFinite(interval.low()) && Double.isFinite(interval.high())) {
      ArrayNode pair = node.putArray(field);
      pair.add(interval.low());
      pair.add(interval.high());
    } else {
      node.putNull(field);
      node.put(
          field + "_null_reason",
          "the statistic was undefined on every bootstrap resample (constant values or too few"
              + " rollouts)");
    }
  }

  /** Reads a summary written by {@link #write}. */
  public static JsonNode read(Path file) throws IOException {
    return MAPPER.readTree(file.toFile());
  }

  /** Writes {@code node} to {@code file}. */
  public static void write(ObjectNode node, Path file) throws IOException {
    MAPPER.writeValue(file.toFile(), node);
  }
}
