package dev.rredcot.pipelines.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code report.html} of the credit evaluation, rendered from {@code summary.json} alone: method
 * and ablation tables and an inline-SVG scatter of value Spearman (with its 95% interval) against
 * model forward tokens per rollout on a log scale. Methods that use no model tokens (the flat GRPO
 * baseline) sit on a marked "0" column left of the axis.
 */
public final class CreditReport {
  private static final int WIDTH = 760;
  private static final int HEIGHT = 420;
  private static final int LEFT = 90;
  private static final int RIGHT = 30;
  private static final int TOP = 20;
  private static final int BOTTOM = 50;

  private CreditReport() {}

  /** The page for {@code summary}. */
  public static String html(ObjectNode summary) {
    HtmlPage page = new HtmlPage("RREDCoT credit fidelity against Monte Carlo");
    JsonNode settings = summary.get("settings");
    JsonNode truth = summary.get("ground_truth");
    JsonNode mix = summary.get("rollouts");
    page.paragraph(
        "Ground truth: Monte Carlo with M = "
            + truth.get("mc_samples").asInt()
            + " continuations per boundary. Rollouts: "
            + mix.get("total").asInt()
            + " ("
            + mix.get("correct").asInt()
            + " correct), levels "
            + settings.get("levels_steps")
            + " steps, checkpoint "
            + settings.get("checkpoint").asText()
            + " ("
            + settings.get("checkpoint_source").asText()
            + "). Segmentation "
            + settings.get("segmentation").asText()
            + ", target "
            + settings.get("target_segments").asInt()
            + " segments. Intervals: 95% bootstrap over rollouts ("
            + settings.get("bootstrap_resamples").asInt()
            + " resamples). Run took "
            + HtmlPage.fmt(settings.get("wall_seconds").asDouble())
            + " s.");
    page.heading("Fidelity against cost");
    page.raw(scatter(summary.get("methods")));
    page.heading("Methods");
    page.table(header(), rows(summary.get("methods")));
    page.paragraph(
        "Ground truth's own first-error localisation: "
            + HtmlPage.number(truth, "first_error_top1", 3)
            + " of "
            + truth.get("first_error_wrong_traces").asInt()
            + " wrong traces; its cost: "
            + HtmlPage.number(truth, "model_tokens_per_rollout", 0)
            + " model tokens and "
            + HtmlPage.number(truth, "wall_ms_per_rollout", 0)
            + " ms per rollout.");
    JsonNode ablations = summary.get("ablations");
    page.heading(
        "Ablation: segmentation strategy (rredcot-answer, "
            + ablations.get("rollouts").asInt()
            + " rollouts)");
    page.table(header(), rows(ablations.get("segmentation")));
    page.heading("Ablation: hybrid target segment count (rredcot-answer)");
    page.table(header(), rows(ablations.get("target_segments")));
    return page.build();
  }

  private static List<String> header() {
    return List.of(
        "method",
        "value ρ (Spearman)",
        "95% CI",
        "value r (Pearson)",
        "reward ρ",
        "95% CI",
        "first-error top-1",
        "wrong traces",
        "model tokens / rollout",
        "wall ms / rollout",
        "segments",
        "failed");
  }

  private static List<List<String>> rows(JsonNode methods) {
    List<List<String>> rows = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> fields = methods.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      JsonNode m = method.getValue();
      int failed = 0;
      for (JsonNode count : m.get("failures")) {
        failed += count.asInt();
      }
      rows.add(
          List.of(
              method.getKey(),
              HtmlPage.number(m, "value_spearman", 3),
              HtmlPage.interval(m, "value_spearman_ci"),
              HtmlPage.number(m, "value_pearson", 3),
              HtmlPage.number(m, "reward_spearman", 3),
              HtmlPage.interval(m, "reward_spearman_ci"),
              HtmlPage.number(m, "first_error_top1", 3),
              Integer.toString(m.get("first_error_wrong_traces").asInt()),
              HtmlPage.number(m, "model_tokens_per_rollout", 0),
              HtmlPage.number(m, "wall_ms_per_rollout", 1),
              HtmlPage.number(m, "mean_segments", 2),
              Integer.toString(failed)));
    }
    return rows;
  }

  /** Value Spearman (y, −1..1) against log10 model tokens per rollout (x). */
  static String scatter(JsonNode methods) {
    double minLog = Double.POSITIVE_INFINITY;
    double maxLog = Double.NEGATIVE_INFINITY;
    Iterator<Map.Entry<String, JsonNode>> fields = methods.fields();
    while (fields.hasNext()) {
      JsonNode m = fields.next().getValue();
      double tokens = m.path("model_tokens_per_rollout").asDouble(0);
      if (tokens > 0) {
        minLog = Math.min(minLog, Math.floor(Math.log10(tokens)));
        maxLog = Math.max(maxLog, Math.ceil(Math.log10(tokens)));
      }
    }
    if (!Double.isFinite(minLog)) {
      minLog = 0;
      maxLog = 1;
    }
    if (maxLog == minLog) {
      maxLog = minLog + 1;
    }
    int zeroColumn = LEFT - 40;
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT)
        .append("\" font-size=\"11\" font-family=\"sans-serif\">");
    svg.append(line(LEFT, TOP, LEFT, TOP + plotHeight, "#000"));
    svg.append(line(LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight, "#000"));
    for (double rho = -1; rho <= 1.0001; rho += 0.5) {
      double y = TOP + plotHeight * (1 - rho) / 2;
      svg.append(line(LEFT, y, LEFT + plotWidth, y, "#ddd"));
      svg.append(text(LEFT - 8, y + 4, String.format("%.1f", rho), "end"));
    }
    for (double decade = minLog; decade <= maxLog; decade++) {
      double x = LEFT + plotWidth * (decade - minLog) / (maxLog - minLog);
      svg.append(line(x, TOP, x, TOP + plotHeight, "#ddd"));
      svg.append(text(x, TOP + plotHeight + 16, "10^" + (int) decade, "middle"));
    }
    svg.append(text(zeroColumn, TOP + plotHeight + 16, "0", "middle"));
    svg.append(
        text(
            LEFT + plotWidth / 2.0,
            HEIGHT - 8,
            "model forward tokens per rollout (log scale)",
            "middle"));
    svg.append(
        "<text x=\"14\" y=\""
            + (TOP + plotHeight / 2)
            + "\" transform=\"rotate(-90 14 "
            + (TOP + plotHeight / 2)
            + ")\" text-anchor=\"middle\">value Spearman vs MC truth</text>");
    fields = methods.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      JsonNode m = method.getValue();
      JsonNode rho = m.get("value_spearman");
      if (rho == null || rho.isNull()) {
        continue;
      }
      double tokens = m.path("model_tokens_per_rollout").asDouble(0);
      double x =
          tokens > 0
              ? LEFT + plotWidth * (Math.log10(tokens) - minLog) / (maxLog - minLog)
              : zeroColumn;
      double y = TOP + plotHeight * (1 - rho.asDouble()) / 2;
      JsonNode ci = m.get("value_spearman_ci");
      if (ci != null && !ci.isNull()) {
        double low = TOP + plotHeight * (1 - ci.get(0).asDouble()) / 2;
        double high = TOP + plotHeight * (1 - ci.get(1).asDouble()) / 2;
        svg.append(line(x, low, x, high, "#888"));
      }
      String color = method.getKey().startsWith("rredcot") ? "#c0392b" : "#2c3e50";
      svg.append(
          String.format(
              java.util.Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>",
              x,
              y,
              color));
      svg.append(text(x + 6, y - 6, method.getKey(), "start"));
    }
    svg.append("</svg>");
    return svg.toString();
  }

  private static String line(double x1, double y1, double x2, double y2, String color) {
    return String.format(
        java.util.Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
        x1,
        y1,
        x2,
        y2,
        color);
  }

  static String text(double x, double y, String content, String anchor) {
    return String.format(
        java.util.Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>",
        x,
        y,
        anchor,
        HtmlPage.escape(content));
  }
}
