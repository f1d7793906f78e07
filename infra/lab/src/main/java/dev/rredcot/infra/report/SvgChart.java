package dev.rredcot.infra.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * An inline SVG chart on linear axes for the self-contained report pages: grid and tick labels,
 * axis titles, lines, bands, points with error bars, dashed reference lines and a legend to the
 * right. Every report (demo, credit, learning) draws through it.
 *
 * <pre>{@code
 * SvgChart chart = SvgChart.builder().setXRange(0, 100).setYRange(0, 1)
 *     .optLabels("rollouts", "accuracy").build();
 * chart.line(points, "#2a9d8f", "held-out accuracy");
 * String svg = chart.render();
 * }</pre>
 */
public final class SvgChart {
  private static final int LEFT = 64;
  private static final int TOP = 20;
  private static final int BOTTOM = 46;

  private final int width;
  private final int height;
  private final int legendWidth;
  private final double minX;
  private final double maxX;
  private final double minY;
  private final double maxY;
  private final String xLabel;
  private final String yLabel;
  private final int ticks;
  private final DoubleFunction<String> xTickLabel;
  private final DoubleFunction<String> yTickLabel;
  private final double[] xTicks;
  private final StringBuilder body = new StringBuilder();
  private final List<String> legend = new ArrayList<>();

  private SvgChart(Builder builder) {
    this.width = builder.width;
    this.height = builder.height;
    this.legendWidth = builder.legendWidth;
    this.minX = builder.minX;
    this.maxX = builder.maxX;
    this.minY = builder.minY;
    this.maxY = builder.maxY;
    this.xLabel = builder.xLabel;
    this.yLabel = builder.yLabel;
    this.ticks = builder.ticks;
    this.xTickLabel = builder.xTickLabel;
    this.yTickLabel = builder.yTickLabel;
    this.xTicks = builder.xTicks;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A polyline through {@code points} ({x, y} pairs), with a dot on each, named in the legend. */
  public SvgChart line(List<double[]> points, String colour, String label) {
    return line(points, colour, label, true);
  }

  /** A polyline through {@code points}; {@code dots} marks each point. */
  public SvgChart line(List<double[]> points, String colour, String label, boolean dots) {
    if (points.isEmpty()) {
      return this;
    }
    body.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"")
        .append(colour)
        .append("\" points=\"")
        .append(path(points))
        .append("\"/>");
    if (dots) {
      for (double[] point : points) {
        body.append(
            String.format(
                Locale.ROOT,
                "<circle r=\"2.5\" fill=\"%s\" cx=\"%.1f\" cy=\"%.1f\"/>",
                colour,
                x(point[0]),
                y(point[1])));
      }
    }
    legend.add(colour + "\u0000" + label);
    return this;
  }

  /** A shaded band between {@code low} and {@code high} (the same x values, in order). */
  public SvgChart band(List<double[]> low, List<double[]> high, String colour) {
    if (low.isEmpty()) {
      return this;
    }
    List<double[]> outline = new ArrayList<>(high);
    for (int i = low.size() - 1; i >= 0; i--) {
      outline.add(low.get(i));
    }
    body.append("<polygon points=\"")
        .append(path(outline))
        .append("\" fill=\"")
        .append(colour)
        .append("\" fill-opacity=\"0.15\" stroke=\"none\"/>");
    return this;
  }

  /** A labelled point, with a vertical error bar from {@code low} to {@code high} if finite. */
  public SvgChart point(
      double px, double py, double low, double high, String colour, String label) {
    if (Double.isFinite(low) && Double.isFinite(high)) {
      body.append(segment(x(px), y(low), x(px), y(high), "#888", ""));
    }
    body.append(
        String.format(
            Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>",
            x(px),
            y(py),
            colour));
    body.append(text(x(px) + 6, y(py) - 6, label, "start", 11));
    return this;
  }

  /** A dashed horizontal line at {@code value}, labelled at its right end. */
  public SvgChart reference(double value, String label) {
    double py = y(value);
    body.append(segment(LEFT, py, right(), py, "#999", " stroke-dasharray=\"5,4\""));
    body.append(text(right() + 4, py + 4, label, "start", 11));
    return this;
  }

  /** The chart as one {@code <svg>} element. */
  public String render() {
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\""
                + " font-family=\"sans-serif\" role=\"img\">",
            width,
            height));
    for (double yValue : niceTicks(minY, maxY, ticks)) {
      svg.append(segment(LEFT, y(yValue), right(), y(yValue), "#e4e4e4", ""));
      svg.append(text(LEFT - 6, y(yValue) + 4, yTickLabel.apply(yValue), "end", 10));
    }
    boolean explicit = xTicks != null;
    for (double xValue : explicit ? xTicks : niceTicks(minX, maxX, ticks)) {
      if (explicit) {
        svg.append(segment(x(xValue), TOP, x(xValue), bottom(), "#e4e4e4", ""));
      }
      svg.append(text(x(xValue), bottom() + 16, xTickLabel.apply(xValue), "middle", 10));
    }
    svg.append(segment(LEFT, TOP, LEFT, bottom(), "#555", ""));
    svg.append(segment(LEFT, bottom(), right(), bottom(), "#555", ""));
    svg.append(text((LEFT + right()) / 2.0, height - 8, xLabel, "middle", 11));
    double middle = (TOP + bottom()) / 2.0;
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">"
                + "%s</text>",
            middle,
            middle,
            HtmlPage.escape(yLabel)));
    svg.append(body);
    for (int row = 0; row < legend.size(); row++) {
      String[] entry = legend.get(row).split("\u0000", 2);
      double ly = TOP + 10 + 16 * row;
      svg.append(
          segment(right() + 8, ly - 4, right() + 28, ly - 4, entry[0], " stroke-width=\"2\""));
      svg.append(text(right() + 32, ly, entry[1], "start", 11));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  /**
   * Round tick positions inside {@code [min, max]}: multiples of 1, 2 or 5 times a power of ten,
   * about {@code target} intervals apart.
   */
  static double[] niceTicks(double min, double max, int target) {
    double raw = (max - min) / target;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double fraction = raw / magnitude;
    double step = magnitude * (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10);
    double first = Math.ceil(min / step - 1e-9) * step;
    int count = (int) Math.floor((max - first) / step + 1e-9) + 1;
    double[] ticks = new double[Math.max(count, 0)];
    for (int i = 0; i < ticks.length; i++) {
      // Rounded to the step's precision, so labels read 0.2, not 0.20000000000000004.
      ticks[i] = Math.round((first + i * step) / step) * step;
    }
    return ticks;
  }

  /** A number as a tick label: no decimals for whole or large values, else two. */
  public static String tick(double value) {
    return Math.abs(value) >= 100 || value == Math.rint(value)
        ? String.format(Locale.ROOT, "%.0f", value)
        : String.format(Locale.ROOT, "%.2f", value);
  }

  private String path(List<double[]> points) {
    StringBuilder path = new StringBuilder();
    for (double[] point : points) {
      path.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(point[0]), y(point[1])));
    }
    return path.toString().strip();
  }

  private double right() {
    return width - legendWidth;
  }

  private double bottom() {
    return height - BOTTOM;
  }

  private double x(double value) {
    return LEFT + (right() - LEFT) * (value - minX) / (maxX - minX);
  }

  private double y(double value) {
    return bottom() - (bottom() - TOP) * (value - minY) / (maxY - minY);
  }

  private static String segment(
      double x1, double y1, double x2, double y2, String colour, String extra) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>",
        x1,
        y1,
        x2,
        y2,
        colour,
        extra);
  }

  private static String text(double x, double y, String content, String anchor, int size) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\">%s</text>",
        x,
        y,
        size,
        anchor,
        HtmlPage.escape(content));
  }

  /** Builder of {@link SvgChart}; the ranges are required. */
  public static final class Builder {
    private int width = 760;
    private int height = 320;
    private int legendWidth = 200;
    private double minX = Double.NaN;
    private double maxX = Double.NaN;
    private double minY = Double.NaN;
    private double maxY = Double.NaN;
    private String xLabel = "";
    private String yLabel = "";
    private int ticks = 5;
    private DoubleFunction<String> xTickLabel = SvgChart::tick;
    private DoubleFunction<String> yTickLabel = SvgChart::tick;
    private double[] xTicks;

    private Builder() {}

    public Builder setXRange(double min, double max) {
      this.minX = min;
      this.maxX = max;
      return this;
    }

    public Builder setYRange(double min, double max) {
      this.minY = min;
      this.maxY = max;
      return this;
    }

    public Builder optLabels(String x, String y) {
      this.xLabel = x;
      this.yLabel = y;
      return this;
    }

    /** Width and height of the whole picture and the width kept for the legend at the right. */
    public Builder optSize(int width, int height, int legendWidth) {
      this.width = width;
      this.height = height;
      this.legendWidth = legendWidth;
      return this;
    }

    /** Grid intervals on each axis. */
    public Builder optTicks(int value) {
      this.ticks = value;
      return this;
    }

    /** Labelled x positions with vertical grid lines, instead of evenly spaced labels. */
    public Builder optXTicks(double... values) {
      this.xTicks = values.clone();
      return this;
    }

    public Builder optXTickLabel(DoubleFunction<String> value) {
      this.xTickLabel = value;
      return this;
    }

    public Builder optYTickLabel(DoubleFunction<String> value) {
      this.yTickLabel = value;
      return this;
    }

    public SvgChart build() {
      if (!(maxX > minX) || !(maxY > minY)) {
        throw new IllegalArgumentException(
            "chart ranges must be non-empty: x "
                + minX
                + ".."
                + maxX
                + ", y "
                + minY
                + ".."
                + maxY);
      }
      if (ticks < 1) {
        throw new IllegalArgumentException("ticks must be at least 1, got " + ticks);
      }
      return new SvgChart(this);
    }
  }
}
