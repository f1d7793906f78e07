package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.infra.report.HtmlPage;
import dev.rredcot.infra.report.SvgChart;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html} of the credit evaluation, rendered from {@code summary.json} alone: method
 * and ablation tables and an inline-SVG scatter of value Spearman (with its 95% interval) against
 * model forward tokens per rollout on a log scale. Methods that use no model tokens (the flat GRPO
 * baseline) sit on a marked "0" column left of the axis.
 */
public final class CreditReport {

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
            + ReportCells.fmt(settings.get("wall_seconds").asDouble())
            + " s.");
    page.heading("Fidelity against cost");
    page.raw(scatter(summary.get("methods")));
    page.heading("Methods");
    page.table(header(), rows(summary.get("methods")));
    page.heading("Segment reward bias by position (estimate minus truth)");
    page.table(positionHeader(), positionRows(summary.get("methods")));
    page.paragraph(
        "Ground truth's own first-error localisation: "
            + ReportCells.number(truth, "first_error_top1", 3)
            + " (by relative drop "
            + ReportCells.number(truth, "first_error_top1_relative", 3)
            + ") of "
            + truth.get("first_error_wrong_traces").asInt()
            + " wrong traces; its cost: "
            + ReportCells.number(truth, "model_tokens_per_rollout", 0)
            + " model tokens and "
            + ReportCells.number(truth, "wall_ms_per_rollout", 0)
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
        "value bias",
        "v₀ bias",
        "first-error top-1",
        "top-1 by relative drop",
        "wrong traces",
        "model tokens / rollout",
        "wall ms / rollout",
        "segments",
        "failed");
  }

  private static List<String> positionHeader() {
    List<String> header = new ArrayList<>();
    header.add("method");
    for (String part : RewardBiasByPosition.PARTS) {
      header.add(part.replace('_', ' '));
    }
    return header;
  }

  /** Each part's bias with its interval and segment count, one row per method. */
  private static List<List<String>> positionRows(JsonNode methods) {
    List<List<String>> rows = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> fields = methods.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      JsonNode parts = method.getValue().path("reward_bias_by_position");
      List<String> row = new ArrayList<>();
      row.add(method.getKey());
      for (String part : RewardBiasByPosition.PARTS) {
        JsonNode p = parts.path(part);
        row.add(
            ReportCells.number(p, "bias", 3)
                + " "
                + ReportCells.interval(p, "bias_ci")
                + " (n "
                + p.path("segments").asInt()
                + ")");
      }
      rows.add(row);
    }
    return rows;
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
              ReportCells.number(m, "value_spearman", 3),
              ReportCells.interval(m, "value_spearman_ci"),
              ReportCells.number(m, "value_pearson", 3),
              ReportCells.number(m, "reward_spearman", 3),
              ReportCells.interval(m, "reward_spearman_ci"),
              ReportCells.number(m, "value_bias", 3),
              ReportCells.number(m, "start_value_bias", 3),
              ReportCells.number(m, "first_error_top1", 3),
              ReportCells.number(m, "first_error_top1_relative", 3),
              Integer.toString(m.get("first_error_wrong_traces").asInt()),
              ReportCells.number(m, "model_tokens_per_rollout", 0),
              ReportCells.number(m, "wall_ms_per_rollout", 1),
              ReportCells.number(m, "mean_segments", 2),
              Integer.toString(failed)));
    }
    return rows;
  }

  /**
   * Value Spearman (y, −1..1) against log10 model tokens per rollout (x); methods with no model
   * tokens sit on a column marked "0" half a decade left of the first decade.
   */
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
    double zeroColumn = minLog - 0.5;
    double firstDecade = minLog;
    double[] ticks = new double[(int) (maxLog - minLog) + 2];
    ticks[0] = zeroColumn;
    for (int decade = 0; decade < ticks.length - 1; decade++) {
      ticks[decade + 1] = minLog + decade;
    }
    SvgChart chart =
        SvgChart.builder()
            .setXRange(zeroColumn, maxLog)
            .setYRange(-1, 1)
            .optTicks(4)
            .optLabels("model forward tokens per rollout (log scale)", "value Spearman vs MC truth")
            .optSize(760, 420, 30)
            .optXTicks(ticks)
            .optXTickLabel(x -> x < firstDecade ? "0" : "10^" + Math.round(x))
            .optYTickLabel(y -> String.format(Locale.ROOT, "%.1f", y))
            .build();
    fields = methods.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      JsonNode m = method.getValue();
      JsonNode rho = m.get("value_spearman");
      if (rho == null || rho.isNull()) {
        continue;
      }
      double tokens = m.path("model_tokens_per_rollout").asDouble(0);
      JsonNode ci = m.get("value_spearman_ci");
      boolean hasCi = ci != null && !ci.isNull();
      chart.point(
          tokens > 0 ? Math.log10(tokens) : zeroColumn,
          rho.asDouble(),
          hasCi ? ci.get(0).asDouble() : Double.NaN,
          hasCi ? ci.get(1).asDouble() : Double.NaN,
          method.getKey().startsWith("rredcot") ? "#c0392b" : "#2c3e50",
          method.getKey());
    }
    return chart.render();
  }
}
