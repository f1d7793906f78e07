package dev.rredcot.pipelines.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.schemas.CreditedRollout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the credit job's output for rollouts of a task family must satisfy, whichever runner made
 * it: the Direct runner's {@code BabyLlamaFamilyCreditTest} and the Flink run against a broker in
 * {@code tests} ({@code BabyLlamaFamilyKafkaFlinkTest}) both check their output here, so the two
 * are held to one specification.
 */
public final class FamilyCreditChecks {
  /** Largest difference allowed between Σ r_k and ζ − v_0. */
  public static final double RETURN_TOLERANCE = 1e-9;

  private FamilyCreditChecks() {}

  /**
   * Asserts that {@code credited} holds every rollout of {@code textById} exactly once and nothing
   * else, each with its text, values from {@code valueEstimator}, return equivalence (the segment
   * rewards sum to ζ − v_0, v_K = ζ, every value in [0, 1]) and one advantage per token; and that
   * some segment starts right after the family's {@code lineEnd} (for a character-level tokenizer,
   * where a boundary is a character offset).
   */
  public static void assertCreditedReturnEquivalently(
      Iterable<CreditedRollout> credited,
      Map<String, String> textById,
      String valueEstimator,
      String lineEnd) {
    Map<String, Integer> times = new HashMap<>();
    boolean cutAtALineEnd = false;
    for (CreditedRollout c : credited) {
      String what = c.getRolloutId() + " " + c.getText();
      times.merge(c.getRolloutId(), 1, Integer::sum);
      assertTrue(textById.containsKey(c.getRolloutId()), "not a rollout of the input: " + what);
      assertEquals(textById.get(c.getRolloutId()), c.getText(), what);
      assertEquals(valueEstimator, c.getValueEstimator(), what);
      List<Double> values = c.getBoundaryValues();
      double sum = c.getSegmentRewards().stream().mapToDouble(Double::doubleValue).sum();
      // Return equivalence: the segment rewards telescope to ζ − v_0, v_K = ζ.
      assertEquals(c.getReward() - values.get(0), sum, RETURN_TOLERANCE, what);
      assertEquals(c.getReward(), values.get(values.size() - 1), what);
      for (double v : values) {
        assertTrue(v >= 0 && v <= 1, what + " " + values);
      }
      assertEquals(c.getTokenIds().size(), c.getTokenAdvantages().size(), what);
      List<Integer> boundaries = c.getSegmentBoundaries();
      for (int k = 1; k < boundaries.size() - 1; k++) {
        int at = boundaries.get(k);
        cutAtALineEnd |=
            at >= lineEnd.length() && c.getText().startsWith(lineEnd, at - lineEnd.length());
      }
    }
    assertEquals(textById.keySet(), times.keySet(), "credited rollout ids");
    times.forEach((id, n) -> assertEquals(1, n, id + " credited more than once"));
    assertTrue(cutAtALineEnd, "no segment starts after a line end \"" + lineEnd + "\"");
  }
}
