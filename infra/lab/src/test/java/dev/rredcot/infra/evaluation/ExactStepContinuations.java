package dev.rredcot.infra.evaluation;

import dev.rredcot.model.task.ArithmeticTask;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A policy-free generator whose prefix values are known exactly: it finishes an arithmetic trace
 * from a prefix of complete lines, writing each remaining step right with probability {@code p} and
 * otherwise too large by 1 to 3 (always upwards, so errors never cancel), then the answer line. A
 * prefix whose lines are all right therefore has value p^(remaining steps); one with an error has
 * value 0.
 */
final class ExactStepContinuations implements ContinuationSampler {
  private final double stepRightProbability;

  ExactStepContinuations(double stepRightProbability) {
    this.stepRightProbability = stepRightProbability;
  }

  @Override
  public List<List<String>> sample(
      String prompt, List<int[]> prefixTokens, List<String> prefixTexts, int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<List<String>> all = new ArrayList<>();
    for (String prefixText : prefixTexts) {
      all.add(continuations(prompt, prefixText, count, random));
    }
    return all;
  }

  private List<String> continuations(
      String prompt, String prefixText, int count, SplittableRandom random) {
    ArithmeticTask.Expression expression = ArithmeticTask.parsePrompt(prompt);
    String[] lines = prefixText.isEmpty() ? new String[0] : prefixText.split("\n");
    List<String> continuations = new ArrayList<>(count);
    for (int m = 0; m < count; m++) {
      long left =
          lines.length == 0
              ? expression.operands().get(0)
              : Long.parseLong(
                  lines[lines.length - 1].substring(lines[lines.length - 1].indexOf('=') + 1));
      StringBuilder text = new StringBuilder();
      for (int step = lines.length; step < expression.steps(); step++) {
        char operator = expression.operators().charAt(step);
        long operand = expression.operands().get(step + 1);
        long result = operator == '+' ? left + operand : left - operand;
        if (random.nextDouble() >= stepRightProbability) {
          result += 1 + random.nextInt(3);
        }
        text.append(left).append(operator).append(operand).append('=').append(result).append('\n');
        left = result;
      }
      continuations.add(text.append("A: ").append(left).append('\n').toString());
    }
    return continuations;
  }
}
