package dev.rredcot.infra.report;

import java.util.List;

/**
 * Builder of the self-contained report pages (demo, credit, learning): inline CSS, headings, tables
 * and inline SVG from {@link SvgChart}; no scripts, no links out.
 */
public final class HtmlPage {
  private final StringBuilder html = new StringBuilder();

  /** A page titled {@code title}. */
  public HtmlPage(String title) {
    this(title, "");
  }

  /** A page titled {@code title} with {@code css} added to the common style sheet. */
  public HtmlPage(String title, String css) {
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title>\n<style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}")
        .append("td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}")
        .append("th{background:#eee}td:first-child{text-align:left}")
        .append(".note{color:#555;font-size:90%}")
        .append("svg{background:#fafafa}")
        .append(css)
        .append("</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n");
  }

  public HtmlPage heading(String text) {
    html.append("<h2>").append(escape(text)).append("</h2>\n");
    return this;
  }

  public HtmlPage paragraph(String text) {
    html.append("<p class=\"note\">").append(escape(text)).append("</p>\n");
    return this;
  }

  public HtmlPage raw(String markup) {
    html.append(markup).append('\n');
    return this;
  }

  public HtmlPage table(List<String> header, List<List<String>> rows) {
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

  public String build() {
    return html + "</body></html>\n";
  }

  /** {@code text} safe inside HTML text and attribute values. */
  public static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
