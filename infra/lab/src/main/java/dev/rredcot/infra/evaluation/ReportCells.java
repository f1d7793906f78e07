package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** Table cells of the evaluation reports, read from their summary JSON. */
final class ReportCells {
  private ReportCells() {}

  /** A number of a summary node with {@code digits} decimals, or "n/a" when null or absent. */
  static String number(JsonNode node, String field, int digits) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%." + digits + "f", value.asDouble());
  }

  /** An interval field {@code [low, high]} or "n/a". */
  static String interval(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return "n/a";
    }
    return String.format(
        Locale.ROOT, "[%.3f, %.3f]", value.get(0).asDouble(), value.get(1).asDouble());
  }

  static String fmt(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
