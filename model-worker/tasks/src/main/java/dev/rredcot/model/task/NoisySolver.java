package dev.rredcot.model.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;

/**
 * Writes arithmetic traces in which each step is wrong with a given probability, the way an
 * imperfect model would: a wrong step has a plausible result (off by 1 to 3, or a tens-digit slip
 * of 10), later steps are computed correctly from the written value, and the answer line repeats
 * the last written result.
 *
 * <p>Used for supervised warm-up data and for synthetic rollouts; deterministic given the {@link
 * Random}.
 */
public final class NoisySolver implements TraceWriter {

  private static final long[] SLIPS = {-10, -3, -2, -1, 1, 2, 3, 10};

  private final double stepErrorRate;

  /**
   * Creates a solver whose every step is wrong with probability {@code stepErrorRate}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= stepErrorRate <= 1}
   */
  public NoisySolver(double stepErrorRate) {
    if (!(stepErrorRate >= 0 && stepErrorRate <= 1)) {
      throw new IllegalArgumentException("stepErrorRate must be in [0, 1], got " + stepErrorRate);
    }
    this.stepErrorRate = stepErrorRate;
  }

  /** Probability that a step is wrong. */
  public double stepErrorRate() {
    return stepErrorRate;
  }

  @Override
  public String write(Problem problem, Random random) {
    return solve(problem, random).trace();
  }

  @Override
  public Map<String, Double> settings() {
    return Map.of("step_error_rate", stepErrorRate);
  }

  /**
   * Writes a trace for an arithmetic {@code problem}.
   *
   * @throws IllegalArgumentException if the problem's prompt is not an arithmetic prompt
   */
  public NoisyTrace solve(Problem problem, Random random) {
    ArithmeticTask.Expression expression = ArithmeticTask.parsePrompt(problem.prompt());
    StringBuilder trace = new StringBuilder();
    List<Integer> corrupted = new ArrayList<>();
    long left = expression.operands().get(0);
    for (int step = 0; step < expression.steps(); step++) {
      char operator = expression.operators().charAt(step);
      long operand = expression.operands().get(step + 1);
      long result = ArithmeticTask.apply(left, operator, operand);
      if (random.nextDouble() < stepErrorRate) {
        result += SLIPS[random.nextInt(SLIPS.length)];
        corrupted.add(step);
      }
      trace.append(ArithmeticTask.stepLine(left, operator, operand, result));
      left = result;
    }
    String answer = Long.toString(left);
    trace.append(ArithmeticTask.ANSWER_CUE).append(answer).append('\n');
    return new NoisyTrace(trace.toString(), answer, corrupted);
  }

  /**
   * A written trace and where it was corrupted.
   *
   * @param trace the trace text, in the arithmetic format
   * @param writtenAnswer the answer on its answer line (the last written result)
   * @param corruptedSteps 0-based indices of the steps written wrong, ascending
   */
  public record NoisyTrace(String trace, String writtenAnswer, List<Integer> corruptedSteps) {

    public NoisyTrace {
      corruptedSteps = List.copyOf(corruptedSteps);
    }

    /** Index of the first step written wrong; empty when every step is right. */
    public OptionalInt firstCorruptedStep() {
      return corruptedSteps.isEmpty() ? OptionalInt.empty() : OptionalInt.of(corruptedSteps.get(0));
    }
  }
}
