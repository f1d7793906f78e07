package dev.rredcot.infra.evaluation;

/**
 * Whether the most negative segment reward of a wrong trace falls on its first wrong step.
 *
 * <p>The first wrong step is a line of the trace ({@code TaskFamily.firstWrongStep}; the answer
 * line counts as a step when every computation was right). A segment "contains" that line when
 * their character spans overlap, so a segment that cuts through the line, or one that holds several
 * lines, both count. The most negative segment is the one with the smallest reward; ties go to the
 * earliest segment, so a method that gives every segment the same reward localises to the first
 * segment, not to whichever is convenient.
 *
 * <p>A second reading ({@link #relativeDrops}) ranks segments by the relative change of the value,
 * {@code ln((v_k + floor) / (v_{k-1} + floor))}: where a policy rarely finishes, the value is
 * already small before the first error, so the line that makes it fatal is a large relative drop
 * but a small absolute one.
 */
public final class FirstErrorLocalisation {
  private FirstErrorLocalisation() {}

  /**
   * Character span {@code [start, end)} of line {@code lineIndex} of {@code text} (newline
   * included), or null when the text has fewer lines (the error is a missing line: then the span is
   * the end of the text, which the last segment holds).
   */
  public static int[] lineSpan(String text, int lineIndex) {
    int start = 0;
    for (int line = 0; line < lineIndex; line++) {
      int newline = text.indexOf('\n', start);
      if (newline < 0) {
        return new int[] {text.length(), text.length()};
      }
      start = newline + 1;
    }
    int newline = text.indexOf('\n', start);
    return new int[] {start, newline < 0 ? text.length() : newline + 1};
  }

  /** Index of the smallest reward; the earliest on ties. */
  public static int mostNegativeSegment(double[] segmentRewards) {
    if (segmentRewards.length == 0) {
      throw new IllegalArgumentException("no segment rewards");
    }
    int lowest = 0;
    for (int k = 1; k < segmentRewards.length; k++) {
      if (segmentRewards[k] < segmentRewards[lowest]) {
        lowest = k;
      }
    }
    return lowest;
  }

  /**
   * Whether segment {@code segment} (character span {@code [charBoundaries[segment],
   * charBoundaries[segment+1])}) overlaps {@code lineSpan}; an empty span (a missing line at the
   * end of the text) belongs to the last segment.
   */
  public static boolean segmentContains(int[] charBoundaries, int segment, int[] lineSpan) {
    int from = charBoundaries[segment];
    int to = charBoundaries[segment + 1];
    if (lineSpan[0] == lineSpan[1]) {
      return segment == charBoundaries.length - 2 || (lineSpan[0] >= from && lineSpan[0] < to);
    }
    return from < lineSpan[1] && lineSpan[0] < to;
  }

  /**
   * The floor added to both values of a relative drop, fixed before any measurement: far below the
   * values a line-level estimate distinguishes, far above rounding.
   */
  public static final double RELATIVE_FLOOR = 1e-3;

  /**
   * Each segment's relative value change {@code ln((v_k + floor) / (v_{k-1} + floor))}, from the
   * values {@code v_0..v_K} at its boundaries ({@code v_K} the reward).
   */
  public static double[] relativeDrops(double[] values, double floor) {
    double[] drops = new double[values.length - 1];
    for (int k = 0; k < drops.length; k++) {
      drops[k] = Math.log((values[k + 1] + floor) / (values[k] + floor));
    }
    return drops;
  }

  /**
   * Whether the most negative of {@code segmentRewards} holds line {@code firstWrongLine} of {@code
   * text}, with segments given as character offsets.
   */
  public static boolean hit(
      double[] segmentRewards, int[] charBoundaries, String text, int firstWrongLine) {
    if (charBoundaries.length != segmentRewards.length + 1) {
      throw new IllegalArgumentException(
          charBoundaries.length + " boundaries for " + segmentRewards.length + " segments");
    }
    return segmentContains(
        charBoundaries, mostNegativeSegment(segmentRewards), lineSpan(text, firstWrongLine));
  }
}
