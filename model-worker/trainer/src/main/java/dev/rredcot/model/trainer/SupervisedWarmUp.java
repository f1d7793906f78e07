package dev.rredcot.model.trainer;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.SupervisedExample;
import dev.rredcot.model.task.NoisySolver;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TraceWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A quick supervised warm-up on {@link NoisySolver} traces (or any {@link TraceWriter}'s), so the
 * RL loop has an imperfect but well-formed starting policy when no shipped initial policy is at
 * hand (the policy owner's pretraining is the real one; this is the loop's self-contained fallback
 * for tests and experiments).
 */
public final class SupervisedWarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(SupervisedWarmUp.class);

  /** Warm-up problem seeds start here, away from feeder (0..) and held-out (2^50..) seeds. */
  public static final long FIRST_PROBLEM_SEED = 1L << 45;

  private SupervisedWarmUp() {}

  /**
   * Runs {@code steps} cross-entropy steps of {@code batchSize} noisy traces each and returns the
   * last step's loss.
   */
  public static double run(
      Policy policy,
      TaskFamily task,
      double stepErrorRate,
      int steps,
      int batchSize,
      double learningRate,
      long seed) {
    return run(policy, task, new NoisySolver(stepErrorRate), steps, batchSize, learningRate, seed);
  }

  /**
   * Runs {@code steps} cross-entropy steps of {@code batchSize} traces from {@code writer} (which
   * must write {@code task}'s format, e.g. a {@link dev.rredcot.model.task.CountdownSolver} for
   * countdown) and returns the last step's loss.
   */
  public static double run(
      Policy policy,
      TaskFamily task,
      TraceWriter writer,
      int steps,
      int batchSize,
      double learningRate,
      long seed) {
    Random noise = new Random(seed);
    long problemSeed = FIRST_PROBLEM_SEED + seed * 1_000_003L;
    double loss = Double.NaN;
    long start = System.nanoTime();
    for (int step = 1; step <= steps; step++) {
      List<SupervisedExample> batch = new ArrayList<>(batchSize);
      for (int i = 0; i < batchSize; i++) {
        Problem problem = task.generate(problemSeed++);
        int[] trace = policy.tokenizer().encode(writer.write(problem, noise));
        int[] target = Arrays.copyOf(trace, trace.length + 1);
        target[trace.length] = policy.tokenizer().eosId();
        batch.add(new SupervisedExample(problem.prompt(), target));
      }
      // Linear decay to 10% keeps the end of the warm-up from bouncing around.
      double lr = learningRate * (1 - 0.9 * (step - 1) / (double) steps);
      loss = policy.supervisedStep(batch, lr, 1.0);
      if (step % 50 == 0 || step == steps) {
        LOG.info(
            "warm-up step {}/{} loss {} ({} s)",
            step,
            steps,
            String.format("%.4f", loss),
            (System.nanoTime() - start) / 1_000_000_000);
      }
    }
    return loss;
  }
}
