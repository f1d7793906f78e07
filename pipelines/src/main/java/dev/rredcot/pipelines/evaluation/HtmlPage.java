package dev.rredcot.pipelines.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/** Small builder of the self-contained report pages: inline CSS, tables, no scripts or links. */
final class HtmlPage {
  private final StringBuilder html = new StringBuilder();

  HtmlPage(String title) {
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title>\n<style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}")
        .append("td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}")
        .append("th{background:#eee}td:first-child{text-align:left}")
        .append(".note{color:#555;font-size:90%}")
        .append("</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n");
  }

  HtmlPage heading(String text) {
    html.append("<h2>").append(escape(text)).append("</h2>\n");
    return this;
  }

  HtmlPage paragraph(String text) {
    html.append("<p class=\"note\">").append(escape(text)).append("</p>\n");
    return this;
  }

  HtmlPage raw(String markup) {
    html.append(markup).append('\n');
    return this;
  }

  HtmlPage table(List<String> header, List<List<String>> rows) {
    html.append("<table><tr>");
    for (String cell : header) {
      html.append("<th>").append(escape(cell)).append("</th>");
    }
    html.append("</tr>\n");
    for (List<String> row : rows) {
      html.append("<tr>");
      for (String cell : row) {
        html.append("<td>").append(escape(cell)).append("</td>");
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n");
    return this;
  }

  String build() {
    return html + "</body></html>\n";
  }

  static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

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
