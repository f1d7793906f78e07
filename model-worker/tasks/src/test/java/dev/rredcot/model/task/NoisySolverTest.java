package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NoisySolverTest {

  private final ArithmeticTask task = ArithmeticTask.defaults();

  @Test
  void zeroErrorRateReproducesTheSolution() {
    NoisySolver solver = new NoisySolver(0.0);
    Random random = new Random(1);
    for (long seed = 0; seed < 200; seed++) {
      Problem problem = task.generate(seed);
      NoisySolver.NoisyTrace trace = solver.solve(problem, random);
      assertEquals(problem.solution(), trace.trace());
      assertEquals(OptionalInt.empty(), trace.firstCorruptedStep());
    }
  }

  @Test
  void sameRandomSeedGivesSameTrace() {
    NoisySolver solver = new NoisySolver(0.3);
    Problem problem = task.generate(5);
    for (int i = 0; i < 20; i++) {
      assertEquals(
          solver.solve(problem, new Random(i)).trace(),
          solver.solve(problem, new Random(i)).trace());
    }
  }

  @Test
  void stepErrorRateMatchesTheRequestedRate() {
    double rate = 0.2;
    NoisySolver solver = new NoisySolver(rate);
    Random random = new Random(123);
    int steps = 0;
    int corrupted = 0;
    for (long seed = 0; seed < 5000; seed++) {
      Problem problem = task.generate(seed);
      NoisySolver.NoisyTrace trace = solver.solve(problem, random);
      steps += task.splitSteps(trace.trace()).size();
      corrupted += trace.corruptedSteps().size();
    }
    double observed = (double) corrupted / steps;
    double sigma = Math.sqrt(rate * (1 - rate) / steps);
    // 20,000 steps: sigma is about 0.003, so 5 sigma still tells 0.2 from 0.18 or 0.22.
    assertEquals(rate, observed, 5 * sigma, "observed error rate " + observed);
  }

  @Test
  void corruptedStepIsWhatTheCheckerFindsAndLaterStepsPropagateIt() {
    NoisySolver solver = new NoisySolver(0.25);
    Random random = new Random(7);
    int checked = 0;
    for (long seed = 0; seed < 1000; seed++) {
      Problem problem = task.generate(seed);
      NoisySolver.NoisyTrace trace = solver.solve(problem, random);
      assertEquals(trace.firstCorruptedStep(), task.firstWrongStep(problem, trace.trace()));
      if (trace.firstCorruptedStep().isPresent()) {
        checked++;
        List<String> lines = task.splitSteps(trace.trace());
        int first = trace.firstCorruptedStep().getAsInt();
        assertNotEquals(
            task.splitSteps(problem.solution()).get(first), lines.get(first), trace.trace());
      }
      // The answer line always repeats the last written result.
      String lastStep = trace.trace().split("\n")[3];
      assertEquals(lastStep.substring(lastStep.indexOf('=') + 1), trace.writtenAnswer());
      assertTrue(trace.trace().endsWith("A: " + trace.writtenAnswer() + "\n"));
    }
    assertTrue(checked > 500, "only " + checked + " corrupted traces");
  }

  @Test
  void singleCorruptionMakesTheAnswerWrong() {
    // With + and - only, one slip shifts every later result by the slip, so the answer is wrong.
    NoisySolver solver = new NoisySolver(0.1);
    Random random = new Random(99);
    for (long seed = 0; seed < 1000; seed++) {
      Problem problem = task.generate(seed);
      NoisySolver.NoisyTrace trace = solver.solve(problem, random);
      if (trace.corruptedSteps().size() == 1) {
        assertEquals(0.0, task.verify(problem, trace.trace()).reward(), trace.trace());
      }
    }
  }

  @Test
  void rejectsRatesOutsideTheUnitInterval() {
    assertThrows(IllegalArgumentException.class, () -> new NoisySolver(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new NoisySolver(1.5));
    assertThrows(IllegalArgumentException.class, () -> new NoisySolver(Double.NaN));
  }
}
