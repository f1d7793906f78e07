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
 * {@code report.html} of the learning evaluation, rendered from {@code summary.json} alone: an
 * inline-SVG plot of held-out sampled accuracy against rollouts consumed (one line per method =
 * mean over seeds, shaded min–max band over seeds, dashed target line) and a table of the figures.
 */
public final class LearningReport {
  private static final String[] COLORS = {"#2c3e50", "#c0392b", "#27ae60", "#8e44ad", "#d35400"};

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
            + ReportCells.number(summary, "target_accuracy", 3)
            + " = "
            + summary.get("target_accuracy_rule").asText()
            + ", initial "
            + ReportCells.number(summary, "initial_accuracy", 3)
            + ". Run took "
            + ReportCells.fmt(settings.get("wall_seconds").asDouble())
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
              ReportCells.number(m, "final_accuracy_mean", 3)
                  + " ± "
                  + ReportCells.number(m, "final_accuracy_std", 3),
              ReportCells.number(m, "final_greedy_accuracy_mean", 3),
              ReportCells.number(m, "rollouts_to_target_mean", 0),
              m.get("seeds_reaching_target").asInt() + "/" + m.get("runs").size(),
              ReportCells.number(m, "rollouts_to_target_mean_censored", 0),
              ReportCells.number(m, "auc_mean", 3),
              ReportCells.number(m, "scoring_forward_tokens_per_run", 0),
              ReportCells.number(m, "wall_s_per_step", 2),
              ReportCells.number(m, "mean_abs_token_advantage", 3),
              ReportCells.number(m, "trained_rollout_share", 2),
              ReportCells.number(m, "mean_grad_norm", 2),
              ReportCells.number(m, "clipped_step_share", 2)));
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
            "wall s / training step",
            "mean |advantage| per trained token (step scale)",
            "share of rollouts trained",
            "gradient norm per step (before the clip)",
            "share of steps clipped"),
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
              ReportCells.number(c, "rollouts_to_target_ratio", 3),
              ReportCells.interval(c, "ratio_ci"),
              ReportCells.number(c, "auc_diff", 4),
              ReportCells.interval(c, "auc_diff_ci"),
              ReportCells.number(c, "ceiling_share", 2),
              ReportCells.interval(c, "ceiling_share_ci"),
              ReportCells.number(c, "rollouts_to_baseline_final_ratio", 3),
              ReportCells.interval(c, "baseline_final_ratio_ci"),
              Integer.toString(c.get("seeds").asInt())));
    }
    page.table(
        List.of(
            "comparison",
            "rollouts-to-target ratio (arm / grpo)",
            "95% CI",
            "AUC difference",
            "95% CI",
            "share of the ceiling's gain",
            "95% CI",
            "rollouts to GRPO's final accuracy (arm / grpo)",
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
    SvgChart chart =
        SvgChart.builder()
            .setXRange(0, maxRollouts)
            .setYRange(Math.max(0, minAcc - 0.05), Math.min(1, Math.max(maxAcc, target) + 0.05))
            .optLabels("rollouts consumed", "held-out sampled accuracy")
            .optSize(760, 420, 160)
            .optYTickLabel(value -> String.format(Locale.ROOT, "%.2f", value))
            .build();
    chart.reference(target, "target");
    fields = methods.fields();
    int index = 0;
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> method = fields.next();
      String colour = COLORS[index++ % COLORS.length];
      JsonNode runs = method.getValue().get("runs");
      int points = Integer.MAX_VALUE;
      for (JsonNode run : runs) {
        points = Math.min(points, run.get("curve").size());
      }
      List<double[]> lows = new ArrayList<>();
      List<double[]> highs = new ArrayList<>();
      List<double[]> means = new ArrayList<>();
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
        lows.add(new double[] {rollouts, low});
        highs.add(new double[] {rollouts, high});
        means.add(new double[] {rollouts, sum / runs.size()});
      }
      chart.band(lows, highs, colour).line(means, colour, method.getKey(), false);
    }
    return chart.render();
  }
}
