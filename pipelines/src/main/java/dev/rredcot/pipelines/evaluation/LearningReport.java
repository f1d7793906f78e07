package dev.rredcot.pipelines.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html} of the learning evaluation, rendered from {@code summary.json} alone: an
 * inline-SVG plot of held-out sampled accuracy against rollouts consumed (one line per method =
 * mean over seeds, shaded min–max band over seeds, dashed target line) and a table of the figures.
 */
public final class LearningReport {
  private static final String[] COLORS = {"#2c3e50", "#c0392b", "#27ae60", "#8e44ad", "#d35400"};
  private static final int WIDTH = 760;
  private static final int HEIGHT = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 160;
  private static final int TOP = 20;
  private static final int BOTTOM = 50;

  private LearningReport() {}

  /** The page for {@code summary}. */
  public static String html(ObjectNode summary) {
    HtmlPage page = new HtmlPage("RREDCoT learning against GRPO");
    JsonNode settings = summary.get("settings");
    page.paragraph(
        "Same starting checkpoint ("
            + settings.get("checkpoint_source").asText()
            + "), "
            + settings.get("rollouts_used").asInt()
            + " rollouts per run ("
            + settings.get("steps").asInt()
            + " steps of "
            + settings.get("prompts_per_step").asInt()
            + " prompts x "
            + settings.get("group_size").asInt()
            + "), "
            + settings.get("seeds").asInt()
            + " seeds per method. Held-out: "
            + settings.get("eval_prompts").asInt()
            + " prompts x "
            + settings.get("eval_samples_per_prompt").asInt()
            + " samples. Target accuracy "
            + HtmlPage.number(summary, "target_accuracy", 3)
            + " = "
            + summary.get("target_accuracy_rule").asText()
            + ", initial "
            + HtmlPage.number(summary, "initial_accuracy", 3)
            + ". Run took "
            + HtmlPage.fmt(settings.get("wall_seconds").asDouble())
            + " s.");
    page.heading("Held-out accuracy against rollouts consumed");
    page.raw(plot(summary));
    page.heading("Figures");
    List<List<String>> rows = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> methods = summary.get("methods").fields();
    while (methods.hasNext()) {
      Map.Entry<String, JsonNode> method = methods.next();
      JsonNode m = method.getValue();
      rows.add(
          List.of(
              method.getKey() + " (" + m.get("arm").asText() + ")",
              HtmlPage.number(m, "final_accuracy_mean", 3)
                  + " ± "
                  + HtmlPage.number(m, "final_accuracy_std", 3),
              HtmlPage.number(m, "final_greedy_accuracy_mean", 3),
              HtmlPage.number(m, "rollouts_to_target_mean", 0),
              m.get("seeds_reaching_target").asInt() + "/" + m.get("runs").size(),
              HtmlPage.number(m, "rollouts_to_target_mean_censored", 0),
              HtmlPage.number(m, "auc_mean", 3),
              HtmlPage.number(m, "scoring_forward_tokens_per_run", 0),
              HtmlPage.number(m, "wall_s_per_step", 2)));
    }
    page.table(
        List.of(
            "method",
            "final sampled accuracy (mean ± std)",
            "final greedy accuracy",
            "rollouts to target (mean of seeds reaching it)",
            "seeds reaching target",
            "rollouts to target (unreached = budget)",
            "area under the curve (mean accuracy over training)",
            "credit model tokens / run",
            "wall s / training step"),
        rows);
    page.heading("Paired with GRPO, seed by seed (95% bootstrap intervals over seeds)");
    List<List<String>> pairs = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> comparisons = summary.get("comparisons").fields();
    while (comparisons.hasNext()) {
      Map.Entry<String, JsonNode> comparison = comparisons.next();
      JsonNode c = comparison.getValue();
      pairs.add(
          List.of(
              comparison.getKey(),
              HtmlPage.number(c, "rollouts_to_target_ratio", 3),
              HtmlPage.interval(c, "ratio_ci"),
              HtmlPage.number(c, "auc_diff", 4),
              HtmlPage.interval(c, "auc_diff_ci"),
              Integer.toString(c.get("seeds").asInt())));
    }
    page.table(
        List.of(
            "comparison",
            "rollouts-to-target ratio (arm / grpo)",
            "95% CI",
            "AUC difference",
            "95% CI",
            "paired seeds"),
        pairs);
    return page.build();
  }

  static String plot(JsonNode summary) {
    JsonNode methods = summary.get("methods");
    double maxRollouts = summary.get("settings").get("rollouts_used").asDouble(1);
    double minAcc = 1;
    double maxAcc = 0;
    Iterator<Map.Entry<String, JsonNode>> fields = methods.fields();
    while (fields.hasNext()) {
      for (JsonNode run : fields.next().getValue().get("runs")) {
        for (JsonNode point : run.get("curve")) {
          minAcc = Math.min(minAcc, point.get("sampled_accuracy").asDouble());
          maxAcc = Math.max(maxAcc, point.get("sampled_accuracy").asDouble());
        }
      }
    }
    double target = summary.get("target_accuracy").asDouble();
    maxAcc = Math.min(1, Math.max(maxAcc, target) + 0.05);
    minAcc = Math.max(0, minAcc - 0.05);
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    final double lowAcc = minAcc;
    final double highAcc = maxAcc;
    java.util.function.DoubleUnaryOperator x = r -> LEFT + plotWidth * r / maxRollouts;
    java.util.function.DoubleUnaryOperator y =
        a -> TOP + plotHeight * (1 - (a - lowAcc) / (highAcc - lowAcc));
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT)
        .append("\" font-size=\"11\" font-family=\"sans-serif\">");
    for (int i = 0; i <= 5; i++) {
      double acc = lowAcc + (highAcc - lowAcc) * i / 5;
      double py = y.applyAsDouble(acc);
      svg.append(line(LEFT, py, LEFT + plotWidth, py, "#ddd", ""));
      svg.append(
          CreditReport.text(LEFT - 6, py + 4, String.format(Locale.ROOT, "%.2f", acc), "end"));
      double rollouts = maxRollouts * i / 5;
      double px = x.applyAsDouble(rollouts);
      svg.append(
          CreditReport.text(
              px, TOP + plotHeight + 16, String.format(Locale.ROOT, "%.0f", rollouts), "middle"));
    }
    svg.append(line(LEFT, TOP, LEFT, TOP + plotHeight, "#000", ""));
    svg.append(line(LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight, "#000", ""));
    double ty = y.applyAsDouble(target);
    svg.append(line(LEFT, ty, LEFT + plotWidth, ty, "#999", " stroke-dasharray=\"5,4\""));
    svg.append(CreditReport.text(LEFT + plotWidth + 4, ty + 4, "target", "start"));
    svg.append(
        CreditReport.text(LEFT + plotWidth / 2.0, HEIGHT - 8, "rollouts consumed", "middle"));
    svg.append(
        "<text x=\"14\" y=\""
            + (TOP + plotHeight / 2)
            + "\" transform=\"rotate(-90 14 "
            + (TOP + plotHeight / 2)
            + ")\" text-anchor=\"middle\">held-out sampled accuracy</text>");
    fields = methods.fields();
    int index = 0;
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      String color = COLORS[index % COLORS.length];
      JsonNode runs = method.getValue().get("runs");
      int points = Integer.MAX_VALUE;
      for (JsonNode run : runs) {
        points = Math.min(points, run.get("curve").size());
      }
      StringBuilder upper = new StringBuilder();
      StringBuilder lower = new StringBuilder();
      StringBuilder mean = new StringBuilder();
      for (int p = 0; p < points; p++) {
        double rollouts = runs.get(0).get("curve").get(p).get("rollouts").asDouble();
        double low = 1;
        double high = 0;
        double sum = 0;
        for (JsonNode run : runs) {
          double acc = run.get("curve").get(p).get("sampled_accuracy").asDouble();
          low = Math.min(low, acc);
          high = Math.max(high, acc);
          sum += acc;
        }
        String px = String.format(Locale.ROOT, "%.1f", x.applyAsDouble(rollouts));
        upper.append(px).append(',').append(fmt(y.applyAsDouble(high))).append(' ');
        lower.insert(0, px + "," + fmt(y.applyAsDouble(low)) + " ");
        mean.append(px).append(',').append(fmt(y.applyAsDouble(sum / runs.size()))).append(' ');
      }
      svg.append("<polygon points=\"")
          .append(upper)
          .append(lower)
          .append("\" fill=\"")
          .append(color)
          .append("\" fill-opacity=\"0.15\" stroke=\"none\"/>");
      svg.append("<polyline points=\"")
          .append(mean)
          .append("\" fill=\"none\" stroke=\"")
          .append(color)
          .append("\" stroke-width=\"2\"/>");
      double legendY = TOP + 14 + 16 * index;
      svg.append(
          line(
              LEFT + plotWidth + 8,
              legendY - 4,
              LEFT + plotWidth + 28,
              legendY - 4,
              color,
              " stroke-width=\"2\""));
      svg.append(CreditReport.text(LEFT + plotWidth + 32, legendY, method.getKey(), "start"));
      index++;
    }
    svg.append("</svg>");
    return svg.toString();
  }

  private static String fmt(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  private static String line(
      double x1, double y1, double x2, double y2, String color, String extra) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>",
        x1,
        y1,
        x2,
        y2,
        color,
        extra);
  }
}
