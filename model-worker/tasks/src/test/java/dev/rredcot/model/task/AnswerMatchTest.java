package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AnswerMatchTest {

  @Test
  void exactComparesTrimmedStrings() {
    assertTrue(AnswerMatch.EXACT.matches(" 42 ", "42"));
    assertFalse(AnswerMatch.EXACT.matches("42", "42.0"));
  }

  @Test
  void numericComparesExactRationals() {
    assertTrue(AnswerMatch.NUMERIC.matches("42", "42.0"));
    assertTrue(AnswerMatch.NUMERIC.matches("0.5", "1/2"));
    assertTrue(AnswerMatch.NUMERIC.matches("2/4", "1/2"));
    assertTrue(AnswerMatch.NUMERIC.matches("1234", "1,234"));
    assertTrue(AnswerMatch.NUMERIC.matches("-3", "-3.00"));
    assertTrue(AnswerMatch.NUMERIC.matches("1e3", "1000"));
    assertFalse(AnswerMatch.NUMERIC.matches("1/3", "0.333"), "no rounding tolerance");
    assertFalse(AnswerMatch.NUMERIC.matches("12", "1,2"));
    assertFalse(AnswerMatch.NUMERIC.matches("1/0", "1/0x"));
    assertTrue(AnswerMatch.NUMERIC.matches("Paris", "Paris"), "non-numbers as strings");
  }

  @Test
  void mathNormalisesLatexWrappersThenComparesNumbers() {
    assertTrue(AnswerMatch.MATH.matches("0.5", "$\\boxed{\\frac{1}{2}}$"));
    assertTrue(AnswerMatch.MATH.matches("3/4", "\\dfrac{3}{4}."));
    assertTrue(AnswerMatch.MATH.matches("10", "\\boxed{10}"));
    assertTrue(AnswerMatch.MATH.matches("x+1", "$ x + 1 $"));
    assertTrue(AnswerMatch.MATH.matches("5", "\\text{5}"));
    assertFalse(AnswerMatch.MATH.matches("x+1", "1+x"), "no symbolic algebra");
    assertFalse(AnswerMatch.MATH.matches("1/3", "0.33"));
    assertEquals("((1)/(2))", AnswerMatch.normaliseMath("\\boxed{\\left(\\frac{1}{2}\\right)}"));
    assertTrue(AnswerMatch.MATH.matches("0.5", "\\boxed{\\left(\\frac{1}{2}\\right)}"));
  }

  @Test
  void optionValuesParseAndUnknownOnesListTheValidOnes() {
    assertEquals(AnswerMatch.MATH, AnswerMatch.fromOption("math"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AnswerMatch.fromOption("fuzzy"));
    assertTrue(e.getMessage().contains("exact, numeric or math"));
  }
}
