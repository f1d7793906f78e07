package dev.rredcot.infra.demo;

import dev.rredcot.infra.report.HtmlPage;
import dev.rredcot.infra.report.SvgChart;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.ToDoubleFunction;

/**
 * Writes a demo run's {@code report.html}: a self-contained page (inline SVG, no scripts, no
 * network) with the learning curve, throughput per stage and a credit view of sample traces.
 */
final class DemoReport {
  /** The credit view's styles on top of the common page style. */
  private static final String CSS =
      "td,th{border:none;padding:2px 10px}th{text-align:left;background:none}"
          + ".trace{font-family:monospace;white-space:pre;text-align:left}"
          + "table.credit{margin-bottom:1.5em}table.credit td{border-bottom:1px solid #eee}";

  private DemoReport() {}

  static void write(
      Path file,
      DemoSummary summary,
      List<DemoRun.Tick> ticks,
      StreamObserver.Snapshot stream,
      Tokenizer tokenizer,
      TaskFamily task)
      throws IOException {
    HtmlPage page = new HtmlPage("RREDCoT Stream demo (credit: " + summary.credit() + ")", CSS);
    StringBuilder html = new StringBuilder();
    if (summary.interrupted()) {
      html.append(
          String.format(
              Locale.ROOT,
              "<p><b>Interrupted</b> after %d training steps on %d rollouts, in %.0f s: no final"
                  + " evaluation (held-out accuracy of the initial policy %.1f%%, greedy"
                  + " %.1f%%).</p>\n",
              summary.trainingSteps(),
              summary.rolloutsTrained(),
              summary.wallS(),
              100 * summary.initialAccuracy(),
              100 * summary.initialGreedyAccuracy()));
    } else {
      html.append(
          String.format(
              Locale.ROOT,
              "<p>Held-out accuracy %.1f%% &rarr; %.1f%% (%+.1f points; greedy %.1f%% &rarr;"
                  + " %.1f%%) after %d training steps on %d rollouts, in %.0f s.</p>\n",
              100 * summary.initialAccuracy(),
              100 * summary.finalAccuracy(),
              summary.accuracyGainPoints(),
              100 * summary.initialGreedyAccuracy(),
              100 * summary.finalGreedyAccuracy(),
              summary.trainingSteps(),
              summary.rolloutsTrained(),
              summary.wallS()));
    }
    counters(html, summary);
    html.append("<h2>Learning curve</h2>\n");
    learningCurve(html, summary, stream.curve());
    html.append("<h2>Throughput per stage</h2>\n");
    throughput(html, ticks);
    html.append("<h2>Credit per segment</h2>\n<p>Recent credited traces. Each segment is")
        .append(" coloured by its redistributed reward r<sub>k</sub> = v<sub>k</sub> &minus;")
        .append(" v<sub>k&minus;1</sub> (green raised the value, red lowered it); v<sub>k</sub> is")
        .append(" the estimated chance of a correct answer after the segment, and the last one is")
        .append(" the verified reward. &#8629; marks a line break.");
    if (task instanceof CountdownTask) {
      html.append(" On a wrong countdown trace, <b>doomed here</b> marks the segment holding the")
          .append(
              " first doomed line: after it the target could no longer be made (exact search).");
    }
    html.append("</p>\n");
    for (CreditedRollout rollout : stream.samples()) {
      creditView(html, rollout, tokenizer, task);
    }
    if (stream.samples().isEmpty()) {
      html.append("<p>No multi-segment credited rollout was seen (GRPO credits one segment).</p>");
    }
    page.raw(html.toString());
    Files.writeString(file, page.build(), StandardCharsets.UTF_8);
  }

  private static void counters(StringBuilder html, DemoSummary summary) {
    html.append("<table>");
    row(html, "rollouts generated", summary.rollouts());
    row(html, "rollouts credited", summary.rolloutsCredited());
    row(html, "rollouts trained", summary.rolloutsTrained());
    row(html, "training steps", summary.trainingSteps());
    row(html, "checkpoints published", summary.checkpointsPublished());
    row(html, "dead letters", summary.deadLetters());
    row(html, "duplicates ignored", summary.duplicatesIgnored());
    row(html, "stale rollouts dropped", summary.staleDropped());
    html.append("</table>\n");
  }

  private static void row(StringBuilder html, String name, long value) {
    html.append("<tr><th>").append(name).append("</th><td>").append(value).append("</td></tr>");
  }

  private static void learningCurve(
      StringBuilder html, DemoSummary summary, List<StreamObserver.CurvePoint> curve) {
    List<double[]> accuracy = new ArrayList<>();
    List<double[]> reward = new ArrayList<>();
    accuracy.add(new double[] {0, summary.initialAccuracy()});
    for (StreamObserver.CurvePoint point : curve) {
      if (!Double.isNaN(point.heldOutAccuracy())) {
        accuracy.add(new double[] {point.rolloutsTrained(), point.heldOutAccuracy()});
      }
      if (!Double.isNaN(point.meanReward()) && point.version() > 0) {
        reward.add(new double[] {point.rolloutsTrained(), point.meanReward()});
      }
    }
    if (!Double.isNaN(summary.finalAccuracy())) {
      accuracy.add(new double[] {summary.rolloutsTrained(), summary.finalAccuracy()});
    }
    double maxX = Math.max(1, summary.rolloutsTrained());
    SvgChart chart = chart(maxX, 1.0).optLabels("rollouts trained", "accuracy / reward").build();
    chart.line(reward, "#f4a261", "training batch mean reward");
    chart.line(accuracy, "#2a9d8f", "held-out accuracy (sampled)");
    html.append(chart.render());
  }

  private static void throughput(StringBuilder html, List<DemoRun.Tick> ticks) {
    if (ticks.size() < 2) {
      html.append("<p>Too short a run to measure throughput.</p>\n");
      return;
    }
    double maxX = ticks.get(ticks.size() - 1).elapsedS();
    List<double[]> generated = rate(ticks, tick -> tick.rolloutsPublished());
    List<double[]> credited = rate(ticks, tick -> tick.rolloutsCredited());
    List<double[]> trained = rate(ticks, tick -> tick.rolloutsTrained());
    double maxY = 1;
    for (List<double[]> series : List.of(generated, credited, trained)) {
      for (double[] point : series) {
        maxY = Math.max(maxY, point[1]);
      }
    }
    SvgChart chart =
        chart(maxX, maxY * 1.1).optLabels("seconds", "rollouts/s (10 s windows)").build();
    chart.line(generated, "#264653", "generated (rollout worker)");
    chart.line(credited, "#2a9d8f", "credited (Beam on Flink)");
    chart.line(trained, "#e76f51", "trained (trainer)");
    html.append(chart.render());
    DemoRun.Tick last = ticks.get(ticks.size() - 1);
    html.append(
        String.format(
            Locale.ROOT,
            "<p>Mean over the run: %.1f generated, %.1f credited, %.1f trained rollouts/s.</p>\n",
            last.rolloutsPublished() / last.elapsedS(),
            last.rolloutsCredited() / last.elapsedS(),
            last.rolloutsTrained() / last.elapsedS()));
  }

  /** Rate of a cumulative counter over windows of ten ticks. */
  private static List<double[]> rate(
      List<DemoRun.Tick> ticks, ToDoubleFunction<DemoRun.Tick> count) {
    List<double[]> points = new ArrayList<>();
    for (int i = 10; i < ticks.size(); i += 5) {
      DemoRun.Tick from = ticks.get(i - 10);
      DemoRun.Tick to = ticks.get(i);
      double spanS = to.elapsedS() - from.elapsedS();
      points.add(
          new double[] {
            to.elapsedS(), (count.applyAsDouble(to) - count.applyAsDouble(from)) / spanS
          });
    }
    return points;
  }

  private static void creditView(
      StringBuilder html, CreditedRollout rollout, Tokenizer tokenizer, TaskFamily task) {
    List<Integer> bounds = rollout.getSegmentBoundaries();
    List<Double> values = rollout.getBoundaryValues();
    List<Double> rewards = rollout.getSegmentRewards();
    int[] tokens = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
    html.append(
        String.format(
            Locale.ROOT,
            "<p><b>%s</b> &mdash; reward %.0f, policy v%d, %s / %s / %s</p>\n",
            HtmlPage.escape(rollout.getPromptText().strip()),
            rollout.getReward(),
            rollout.getPolicyVersion(),
            HtmlPage.escape(rollout.getCreditMethod()),
            HtmlPage.escape(rollout.getValueEstimator()),
            HtmlPage.escape(rollout.getSegmentation())));
    html.append("<table class=\"credit\"><tr><th>segment</th><th>r<sub>k</sub></th>")
        .append("<th>v<sub>k</sub> after</th></tr>");
    html.append(
        String.format(
            Locale.ROOT,
            "<tr><td class=\"trace\"><i>(prompt)</i></td><td></td><td>%.3f</td></tr>",
            values.get(0)));
    OptionalInt doomedChar = doomedLineEnd(task, rollout);
    int segmentStart = 0;
    for (int k = 0; k < rewards.size(); k++) {
      int[] segment = Arrays.copyOfRange(tokens, bounds.get(k), bounds.get(k + 1));
      String text = tokenizer.decode(segment);
      int segmentEnd = segmentStart + text.length();
      boolean doomed =
          doomedChar.isPresent()
              && doomedChar.getAsInt() >= segmentStart
              && doomedChar.getAsInt() < segmentEnd;
      segmentStart = segmentEnd;
      html.append("<tr><td class=\"trace\" style=\"background:")
          .append(colour(rewards.get(k)))
          .append("\">")
          .append(HtmlPage.escape(text.replace("\n", "\u21b5")))
          .append(doomed ? " <b>&#9664; doomed here</b>" : "")
          .append(
              String.format(
                  Locale.ROOT,
                  "</td><td>%+.3f</td><td>%.3f</td></tr>",
                  rewards.get(k),
                  values.get(k + 1)));
    }
    html.append("</table>\n");
  }

  /**
   * Character offset in a countdown trace of the last character of its first doomed line (see
   * {@link CountdownTask#firstDoomedStep}), the point where the trace was lost; empty for other
   * families, correct traces and prompts that are not countdown prompts.
   */
  static OptionalInt doomedLineEnd(TaskFamily task, CreditedRollout rollout) {
    if (!(task instanceof CountdownTask countdown)) {
      return OptionalInt.empty();
    }
    String prompt = rollout.getPromptText();
    String text = rollout.getText();
    Problem problem;
    try {
      CountdownTask.Instance instance = CountdownTask.Instance.parsePrompt(prompt);
      // Only the prompt matters to the oracle; id and solution are not read.
      problem =
          new Problem(
              rollout.getPromptId(),
              CountdownTask.NAME,
              prompt,
              "",
              instance.referenceAnswer(),
              Map.of());
    } catch (IllegalArgumentException notCountdown) {
      return OptionalInt.empty();
    }
    OptionalInt doomed = countdown.firstDoomedStep(problem, text);
    if (doomed.isEmpty() || text.isEmpty()) {
      return OptionalInt.empty();
    }
    List<String> steps = countdown.splitSteps(text);
    int start = 0;
    for (int i = 0; i < Math.min(doomed.getAsInt(), steps.size()); i++) {
      start += steps.get(i).length();
    }
    // A step line ends with its newline; the answer line (index steps.size()) ends at its own.
    int end = text.indexOf('\n', start);
    return OptionalInt.of(Math.min(end < 0 ? text.length() - 1 : end, text.length() - 1));
  }

  /** Diverging colour: red for negative rewards, green for positive, white at zero. */
  static String colour(double reward) {
    double strength = Math.min(1, Math.abs(reward));
    int fade = (int) Math.round(255 - 150 * strength);
    return reward >= 0
        ? String.format(Locale.ROOT, "rgb(%d,255,%d)", fade, fade)
        : String.format(Locale.ROOT, "rgb(255,%d,%d)", fade, fade);
  }

  private static SvgChart.Builder chart(double maxX, double maxY) {
    return SvgChart.builder().setXRange(0, maxX).setYRange(0, maxY).optSize(760, 300, 220);
  }
}
