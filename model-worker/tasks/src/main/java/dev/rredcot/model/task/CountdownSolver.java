package dev.rredcot.model.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;

/**
 * Writes countdown traces that search imperfectly: at each move it takes, with probability {@code
 * doomRate}, a valid move after which the target can no longer be made (when one exists), and
 * otherwise a move that keeps the target reachable, chosen uniformly. Once doomed it goes on with
 * valid random moves until one number is left, then gives up with probability {@code giveUpRate} or
 * else answers its last result, so wrong traces hold correct-looking steps after the fatal one.
 * Every line it writes has right arithmetic; only the choice of move is noisy.
 */
public final class CountdownSolver implements TraceWriter {

  private final double doomRate;
  private final double giveUpRate;
  private final CountdownOracle oracle;

  /**
   * Creates a solver with its own oracle.
   *
   * @throws IllegalArgumentException unless both rates are in {@code [0, 1]}
   */
  public CountdownSolver(double doomRate, double giveUpRate) {
    this(doomRate, giveUpRate, new CountdownOracle());
  }

  /** Creates a solver that shares {@code oracle} (and its memo), e.g. a task's. */
  public CountdownSolver(double doomRate, double giveUpRate, CountdownOracle oracle) {
    if (!(doomRate >= 0 && doomRate <= 1) || !(giveUpRate >= 0 && giveUpRate <= 1)) {
      throw new IllegalArgumentException(
          "doomRate and giveUpRate must be in [0, 1], got " + doomRate + ", " + giveUpRate);
    }
    this.doomRate = doomRate;
    this.giveUpRate = giveUpRate;
    this.oracle = oracle;
  }

  /** Probability of taking a dooming move when one exists, while not yet doomed. */
  public double doomRate() {
    return doomRate;
  }

  /** Probability that a doomed trace ends with the give-up answer rather than a wrong one. */
  public double giveUpRate() {
    return giveUpRate;
  }

  @Override
  public String write(Problem problem, Random random) {
    return solve(problem, random).trace();
  }

  @Override
  public Map<String, Double> settings() {
    return Map.of("doom_rate", doomRate, "give_up_rate", giveUpRate);
  }

  /**
   * Writes a trace for a countdown {@code problem}.
   *
   * @throws IllegalArgumentException if the prompt is not a countdown prompt
   */
  public SearchTrace solve(Problem problem, Random random) {
    CountdownTask.Instance instance = CountdownTask.Instance.parsePrompt(problem.prompt());
    long target = instance.target();
    List<Long> available = new ArrayList<>(instance.numbers());
    StringBuilder trace = new StringBuilder();
    int doomedAt = -1;
    int step = 0;
    while (!available.contains(target) && available.size() > 1) {
      List<CountdownOracle.Move> safe = new ArrayList<>();
      List<CountdownOracle.Move> dooming = new ArrayList<>();
      for (CountdownOracle.Move move : CountdownOracle.moves(available)) {
        boolean keeps = doomedAt < 0 && oracle.reachable(after(available, move), target);
        (keeps ? safe : dooming).add(move);
      }
      List<CountdownOracle.Move> pool;
      if (doomedAt >= 0) {
        pool = dooming;
      } else if (safe.isEmpty()) {
        pool = dooming; // a prompt without solution: lost from the first line, as the task says
        doomedAt = step;
      } else if (!dooming.isEmpty() && random.nextDouble() < doomRate) {
        pool = dooming;
        doomedAt = step;
      } else {
        pool = safe;
      }
      CountdownOracle.Move move = pool.get(random.nextInt(pool.size()));
      trace.append(move.line());
      available = after(available, move);
      step++;
    }
    String answer;
    if (available.contains(target)) {
      answer = Long.toString(target);
    } else {
      answer =
          random.nextDouble() < giveUpRate
              ? CountdownTask.GIVE_UP
              : Long.toString(available.get(available.size() - 1));
    }
    trace.append(CountdownTask.ANSWER_CUE).append(answer).append('\n');
    return new SearchTrace(
        trace.toString(), answer, doomedAt < 0 ? OptionalInt.empty() : OptionalInt.of(doomedAt));
  }

  private static List<Long> after(List<Long> available, CountdownOracle.Move move) {
    List<Long> next = new ArrayList<>(available);
    next.remove(Long.valueOf(move.left()));
    next.remove(Long.valueOf(move.right()));
    next.add(move.result());
    return next;
  }

  /**
   * A written trace and where it was doomed.
   *
   * @param trace the trace text, in the countdown format
   * @param writtenAnswer the answer on its answer line (the target, {@code ?} or a wrong number)
   * @param doomedStep index of the step line that took a dooming move; empty when none did
   */
  public record SearchTrace(String trace, String writtenAnswer, OptionalInt doomedStep) {}
}
