package dev.rredcot.model.task;

import java.util.ArrayList;
import java.util.List;

/** Splits a line-structured trace into its step lines, shared by the line-based task families. */
final class StepLines {

  private StepLines() {}

  /**
   * The lines of {@code trace} before the first line starting with {@code answerCue}, each with its
   * newline; a trailing unterminated fragment is kept as the last element.
   */
  static List<String> beforeAnswer(String trace, String answerCue) {
    List<String> steps = new ArrayList<>();
    int start = 0;
    while (start < trace.length()) {
      if (trace.startsWith(answerCue, start)) {
        break;
      }
      int end = trace.indexOf('\n', start);
      int next = end < 0 ? trace.length() : end + 1;
      steps.add(trace.substring(start, next));
      start = next;
    }
    return steps;
  }
}
