package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FirstErrorLocalisationTest {
  // Lines: [0, 9) "12+30=42\n", [9, 17) "42-5=38\n", [17, 23) "A: 38\n".
  private static final String TEXT = "12+30=42\n42-5=38\nA: 38\n";
  private static final int[] LINE_SEGMENTS = {0, 9, 17, 23};

  @Test
  void lineSpansIncludeTheirNewline() {
    assertArrayEquals(new int[] {9, 17}, FirstErrorLocalisation.lineSpan(TEXT, 1));
    assertArrayEquals(new int[] {17, 23}, FirstErrorLocalisation.lineSpan(TEXT, 2));
  }

  @Test
  void hitWhenTheMostNegativeSegmentIsTheWrongLine() {
    assertTrue(FirstErrorLocalisation.hit(new double[] {0.1, -0.6, -0.2}, LINE_SEGMENTS, TEXT, 1));
  }

  @Test
  void missWhenAnotherSegmentIsMoreNegative() {
    assertFalse(FirstErrorLocalisation.hit(new double[] {-0.7, -0.6, 0.0}, LINE_SEGMENTS, TEXT, 1));
  }

  @Test
  void tiesGoToTheEarliestSegment() {
    assertEquals(0, FirstErrorLocalisation.mostNegativeSegment(new double[] {-1, -1, -1}));
    assertFalse(FirstErrorLocalisation.hit(new double[] {0, 0, 0}, LINE_SEGMENTS, TEXT, 1));
  }

  @Test
  void segmentCuttingThroughTheLineCounts() {
    // Segments [0, 12) and [12, 23): the second starts inside line 1 and still holds it.
    int[] cutInside = {0, 12, 23};
    assertTrue(FirstErrorLocalisation.hit(new double[] {0.0, -0.5}, cutInside, TEXT, 1));
    assertTrue(FirstErrorLocalisation.hit(new double[] {-0.5, 0.0}, cutInside, TEXT, 1));
  }

  @Test
  void missingLineBelongsToTheLastSegment() {
    String truncated = "12+30=42\n";
    int[] oneSegment = {0, 9};
    assertTrue(FirstErrorLocalisation.hit(new double[] {-1}, oneSegment, truncated, 3));
  }

  @Test
  void aRelativeDropFindsTheFatalLineWhereTheValueWasAlreadySmall() {
    // 0.5 -> 0.1 is the largest absolute drop; 0.1 -> 0 makes the trace fatal.
    double[] values = {0.5, 0.1, 0.0, 0.0};
    double[] rewards = {-0.4, -0.1, 0.0};
    assertFalse(FirstErrorLocalisation.hit(rewards, LINE_SEGMENTS, TEXT, 1));
    double[] drops = FirstErrorLocalisation.relativeDrops(values, 1e-3);
    assertEquals(Math.log(0.101 / 0.501), drops[0], 1e-12);
    assertEquals(Math.log(0.001 / 0.101), drops[1], 1e-12);
    assertEquals(0.0, drops[2], 0.0);
    assertTrue(FirstErrorLocalisation.hit(drops, LINE_SEGMENTS, TEXT, 1));
  }
}
