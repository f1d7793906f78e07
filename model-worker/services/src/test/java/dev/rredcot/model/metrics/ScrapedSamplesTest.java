package dev.rredcot.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrapedSamplesTest {
  @Test
  void readsNamesLabelsAndSpecialValues() {
    ScrapedSamples samples =
        ScrapedSamples.parse(
            "# HELP x_total things\n"
                + "# TYPE x_total counter\n"
                + "x_total 3.0\n"
                + "y_bucket{le=\"+Inf\",reason=\"a \\\"b\\\", c\"} 2 1700000000000\n"
                + "z{le=\"+Inf\"} +Inf\n"
                + "\n");
    assertEquals(3, samples.samples().size());
    assertEquals(3.0, samples.value("x_total").orElseThrow());
    assertEquals(Map.of("le", "+Inf", "reason", "a \"b\", c"), samples.samples().get(1).labels());
    assertEquals(2.0, samples.value("y_bucket", "reason", "a \"b\", c").orElseThrow());
    assertEquals(Double.POSITIVE_INFINITY, samples.value("z").orElseThrow());
    assertTrue(samples.value("y_bucket", "reason", "other").isEmpty());
  }

  @Test
  void refusesALineThatIsNoSample() {
    assertThrows(IllegalArgumentException.class, () -> ScrapedSamples.parse("just_a_name\n"));
    assertThrows(IllegalArgumentException.class, () -> ScrapedSamples.parse("x one\n"));
  }
}
