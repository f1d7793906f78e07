package dev.rredcot.model.task;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The example {@link RewardFunction}: an answer is correct when it names the reference number,
 * written in digits or as an English word from zero to twenty, in any case and with a final period
 * ({@code 5}, {@code five}, {@code Five.}). A story-trained model such as BabyLlama writes numbers
 * as words; an exact match would mark its {@code five} wrong against {@code 5}. Loaded by name from
 * a JSONL family file: {@code {"family": {"reward_class":
 * "dev.rredcot.model.task.NumberWordReward"}}}.
 */
public final class NumberWordReward implements RewardFunction {

  private static final List<String> WORDS =
      List.of(
          "zero",
          "one",
          "two",
          "three",
          "four",
          "five",
          "six",
          "seven",
          "eight",
          "nine",
          "ten",
          "eleven",
          "twelve",
          "thirteen",
          "fourteen",
          "fifteen",
          "sixteen",
          "seventeen",
          "eighteen",
          "nineteen",
          "twenty");

  @Override
  public Verification verify(String referenceAnswer, String answer, String trace) {
    Optional<Integer> expected = number(referenceAnswer);
    if (expected.isEmpty()) {
      return Verification.malformed("reference answer '" + referenceAnswer + "' is not a number");
    }
    Optional<Integer> given = number(answer);
    if (given.isEmpty()) {
      return Verification.malformed("answer '" + answer + "' is not a number");
    }
    return given.get().equals(expected.get())
        ? Verification.correct(answer)
        : Verification.wrong(answer, "wrong answer: expected " + referenceAnswer);
  }

  /** The number {@code text} names, if it is one (digits, or a word from zero to twenty). */
  static Optional<Integer> number(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith(".")) {
      t = t.substring(0, t.length() - 1).trim();
    }
    int word = WORDS.indexOf(t);
    if (word >= 0) {
      return Optional.of(word);
    }
    if (t.matches("-?\\d{1,9}")) {
      return Optional.of(Integer.parseInt(t));
    }
    return Optional.empty();
  }
}
