package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.tokenizer.CharTokenizer;
import org.junit.jupiter.api.Test;

class MonteCarloTruthTest {
  private static final String PROMPT = "Q: 12+30-5+7+1\n";
  private static final String CORRECT = "12+30=42\n42-5=37\n37+7=44\n44+1=45\nA: 45\n";
  private static final String WRONG_SECOND = "12+30=42\n42-5=38\n38+7=45\n45+1=46\nA: 46\n";
  private static final CharTokenizer TOKENIZER = CharTokenizer.arithmetic();
  private static final double P = 0.8;
  private static final int M = 4000;

  private static MonteCarloTruth truth() {
    return new MonteCarloTruth(new ExactStepContinuations(P), ArithmeticTask.defaults(), M, 5);
  }

  private static int[] lineBoundaries(String text) {
    return new int[] {0, 9, 17, 25, 33, text.length()};
  }

  @Test
  void largeMonteCarloAgreesWithTheExactValueWithinItsInterval() {
    double[] values =
        truth()
            .values(
                "r",
                PROMPT,
                TOKENIZER.encode(CORRECT),
                CORRECT,
                "45",
                lineBoundaries(CORRECT),
                TOKENIZER::decode);
    for (int k = 0; k < 5; k++) {
      double exact = Math.pow(P, 4 - Math.min(k, 4));
      // 99.9% normal interval of a proportion over M samples.
      double halfWidth = 3.29 * Math.sqrt(exact * (1 - exact) / M) + 1e-12;
      assertTrue(
          Math.abs(values[k] - exact) <= halfWidth,
          "boundary " + k + ": MC " + values[k] + " vs exact " + exact + " ± " + halfWidth);
    }
    assertEquals(1.0, values[5], "the finished trace's value is its verification");
  }

  @Test
  void prefixWithAnErrorHasValueZero() {
    double[] values =
        truth()
            .values(
                "w",
                PROMPT,
                TOKENIZER.encode(WRONG_SECOND),
                WRONG_SECOND,
                "45",
                lineBoundaries(WRONG_SECOND),
                TOKENIZER::decode);
    assertEquals(0.0, values[2]);
    assertEquals(0.0, values[3]);
    assertEquals(0.0, values[5]);
    assertTrue(values[1] > 0.4, "after the right first line the value is 0.8^3");
  }

  @Test
  void sharedBoundariesAreSampledOnce() {
    MonteCarloTruth truth = truth();
    int[] tokens = TOKENIZER.encode(CORRECT);
    double[] lines =
        truth.values(
            "r", PROMPT, tokens, CORRECT, "45", lineBoundaries(CORRECT), TOKENIZER::decode);
    long sampled = truth.generatedContinuations();
    double[] coarse =
        truth.values(
            "r",
            PROMPT,
            tokens,
            CORRECT,
            "45",
            new int[] {0, 17, CORRECT.length()},
            TOKENIZER::decode);
    assertEquals(sampled, truth.generatedContinuations());
    assertArrayEquals(new double[] {lines[0], lines[2], 1.0}, coarse);
  }
}
