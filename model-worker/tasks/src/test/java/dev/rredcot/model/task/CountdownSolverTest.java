package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CountdownSolverTest {

  private final CountdownTask task = CountdownTask.defaults();

  @Test
  void zeroDoomRateAlwaysSolves() {
    CountdownSolver solver = new CountdownSolver(0.0, 0.5, task.oracle());
    Random random = new Random(1);
    for (long seed = 0; seed < 200; seed++) {
      Problem problem = task.generate(seed);
      CountdownSolver.SearchTrace trace = solver.solve(problem, random);
      assertTrue(task.verify(problem, trace.trace()).isCorrect(), trace.trace());
      assertEquals(OptionalInt.empty(), trace.doomedStep());
      assertEquals(OptionalInt.empty(), task.firstDoomedStep(problem, trace.trace()));
    }
  }

  @Test
  void doomedTracesStayValidAfterTheFatalStepAndTheOracleFindsIt() {
    CountdownSolver solver = new CountdownSolver(0.5, 0.5, task.oracle());
    Random random = new Random(2);
    int doomed = 0;
    int gaveUp = 0;
    int validLinesAfterDoom = 0;
    for (long seed = 0; seed < 300; seed++) {
      Problem problem = task.generate(seed);
      CountdownSolver.SearchTrace trace = solver.solve(problem, random);
      List<String> steps = task.splitSteps(trace.trace());
      // Every line is valid: only the choice of move is noisy.
      assertEquals(OptionalInt.empty(), validPrefixEnd(problem, trace.trace()), trace.trace());
      if (trace.doomedStep().isPresent()) {
        doomed++;
        assertFalse(task.verify(problem, trace.trace()).isCorrect(), trace.trace());
        assertEquals(trace.doomedStep(), task.firstDoomedStep(problem, trace.trace()));
        assertEquals(OptionalInt.of(steps.size()), task.firstWrongStep(problem, trace.trace()));
        validLinesAfterDoom += steps.size() - 1 - trace.doomedStep().getAsInt();
        gaveUp += trace.writtenAnswer().equals(CountdownTask.GIVE_UP) ? 1 : 0;
      } else {
        assertTrue(task.verify(problem, trace.trace()).isCorrect(), trace.trace());
      }
    }
    assertTrue(doomed > 100, "doomed " + doomed);
    assertTrue(
        validLinesAfterDoom > doomed / 2, "lines after the fatal one " + validLinesAfterDoom);
    assertTrue(gaveUp > 0.3 * doomed && gaveUp < 0.7 * doomed, gaveUp + " of " + doomed);
  }

  /** Whether every step line of the trace is valid (empty) or where the first invalid one is. */
  private OptionalInt validPrefixEnd(Problem problem, String trace) {
    List<Long> available =
        new ArrayList<>(CountdownTask.Instance.parsePrompt(problem.prompt()).numbers());
    List<String> steps = task.splitSteps(trace);
    for (int i = 0; i < steps.size(); i++) {
      if (CountdownTask.applyLine(available, steps.get(i)).isPresent()) {
        return OptionalInt.of(i);
      }
    }
    return OptionalInt.empty();
  }

  @Test
  void firstMoveDoomsAtTheRequestedRate() {
    // On problems with a dooming first move, the share of traces doomed at step 0 is the doom rate.
    double rate = 0.2;
    CountdownSolver solver = new CountdownSolver(rate, 0.5, task.oracle());
    Random random = new Random(3);
    int problems = 0;
    int doomedFirst = 0;
    for (long seed = 0; seed < 2000; seed++) {
      Problem problem = task.generate(seed);
      if (!hasDoomingFirstMove(problem)) {
        continue;
      }
      problems++;
      OptionalInt doomed = solver.solve(problem, random).doomedStep();
      doomedFirst += doomed.isPresent() && doomed.getAsInt() == 0 ? 1 : 0;
    }
    double observed = (double) doomedFirst / problems;
    double sigma = Math.sqrt(rate * (1 - rate) / problems);
    assertTrue(problems > 1500, "problems with a dooming first move: " + problems);
    assertEquals(rate, observed, 5 * sigma, "observed " + observed + " over " + problems);
  }

  private boolean hasDoomingFirstMove(Problem problem) {
    CountdownTask.Instance instance = CountdownTask.Instance.parsePrompt(problem.prompt());
    for (CountdownOracle.Move move : CountdownOracle.moves(instance.numbers())) {
      List<Long> after = new ArrayList<>(instance.numbers());
      after.remove(Long.valueOf(move.left()));
      after.remove(Long.valueOf(move.right()));
      after.add(move.result());
      if (!task.oracle().reachable(after, instance.target())) {
        return true;
      }
    }
    return false;
  }

  @Test
  void sameRandomSeedGivesSameTraceAndRatesAreChecked() {
    CountdownSolver solver = new CountdownSolver(0.3, 0.5);
    Problem problem = task.generate(5);
    for (int i = 0; i < 20; i++) {
      assertEquals(
          solver.solve(problem, new Random(i)).trace(),
          solver.solve(problem, new Random(i)).trace());
    }
    assertThrows(IllegalArgumentException.class, () -> new CountdownSolver(-0.1, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new CountdownSolver(0.1, 1.5));
    assertThrows(IllegalArgumentException.class, () -> new CountdownSolver(Double.NaN, 0));
  }
}
