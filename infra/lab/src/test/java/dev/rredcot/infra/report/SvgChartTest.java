package dev.rredcot.infra.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SvgChartTest {

  @Test
  void mapsDataCornersToThePlotAreaCorners() {
    SvgChart chart =
        SvgChart.builder().setXRange(10, 20).setYRange(0, 1).optSize(400, 200, 100).build();
    String svg =
        chart.line(List.of(new double[] {10, 0}, new double[] {20, 1}), "#000", "a").render();
    // Plot area: x from 64 to 400 - 100 = 300, y from 200 - 46 = 154 (bottom) to 20 (top).
    assertTrue(svg.contains("points=\"64.0,154.0 300.0,20.0\""), svg);
  }

  @Test
  void escapesEveryLabelAndDrawsOneLegendEntryPerLine() {
    SvgChart chart =
        SvgChart.builder().setXRange(0, 1).setYRange(0, 1).optLabels("x<", "y&").build();
    chart.line(List.of(new double[] {0, 0}), "#111", "<script>", false);
    chart.line(List.of(new double[] {1, 1}), "#222", "b");
    chart.line(List.of(), "#333", "empty series: no legend entry");
    String svg = chart.render();
    assertFalse(svg.contains("<script>"), svg);
    assertTrue(svg.contains("&lt;script&gt;") && svg.contains("x&lt;") && svg.contains("y&amp;"));
    assertEquals(2, svg.split("stroke-width=\"2\"/>", -1).length - 1, "two legend swatches");
    assertFalse(svg.contains("empty series"));
  }

  @Test
  void explicitXTicksReplaceTheEvenOnes() {
    String svg =
        SvgChart.builder()
            .setXRange(0, 3)
            .setYRange(0, 1)
            .optXTicks(0.5, 2)
            .optXTickLabel(x -> "t" + x)
            .build()
            .render();
    assertTrue(svg.contains(">t0.5<") && svg.contains(">t2.0<"), svg);
    assertFalse(svg.contains(">t1.0<"), svg);
  }

  @Test
  void refusesEmptyRanges() {
    assertThrows(
        IllegalArgumentException.class,
        () -> SvgChart.builder().setXRange(1, 1).setYRange(0, 1).build());
    assertThrows(IllegalArgumentException.class, () -> SvgChart.builder().setXRange(0, 1).build());
  }

  @Test
  void pageEscapesTitleAndCells() {
    String html =
        new HtmlPage("a<b", "p{}").table(List.of("h\""), List.of(List.of("<td>"))).build();
    assertTrue(html.contains("<title>a&lt;b</title>") && html.contains("p{}"), html);
    assertTrue(html.contains("<th>h&quot;</th>") && html.contains("<td>&lt;td&gt;</td>"), html);
  }

  @Test
  void evenTicksAreRoundNumbers() {
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {0, 1000, 2000, 3000, 4000, 5000}, SvgChart.niceTicks(0, 5056, 5), 1e-9);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {0, 20, 40, 60, 80, 100, 120}, SvgChart.niceTicks(0, 126, 5), 1e-9);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {0.5, 0.6, 0.7}, SvgChart.niceTicks(0.46, 0.7, 3), 1e-9);
  }
}
