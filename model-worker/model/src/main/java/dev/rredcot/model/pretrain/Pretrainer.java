package dev.rredcot.model.pretrain;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.SupervisedExample;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TraceWriter;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised warm-up of an initial policy on imperfect traces from a {@link TraceWriter}: by
 * default NoisySolver traces of arithmetic problems, where a share of the steps is written wrong on
 * purpose; for countdown, CountdownSolver traces that sometimes take a dead-end move. The policy
 * imitates an imperfect solver and leaves room for RL (target: 30-60% of fresh problems solved at
 * temperature 1).
 *
 * <p>Usage (what {@code ./rredcot pretrain} calls):
 *
 * <pre>{@code
 * PretrainResult result = Pretrainer.run(
 *     PretrainOptions.builder().optOutput(new CheckpointStore(dir, 5), 0).build());
 * }</pre>
 */
public final class Pretrainer {

  private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);

  /** Evaluation problems come from seeds far away from the training seeds. */
  private static final long EVAL_SEED_OFFSET = 1L << 40;

  private static final int EVAL_BATCH = 64;

  private Pretrainer() {}

  /** Trains, measures accuracy, optionally writes the checkpoint, and returns the figures. */
  public static PretrainResult run(PretrainOptions options) throws IOException {
    long start = System.nanoTime();
    Tokenizer tokenizer = options.tokenizer();
    ModelConfig config =
        options.modelConfig() != null
            ? options.modelConfig()
            : ModelConfig.builder().setVocabSize(tokenizer.vocabSize()).build();
    TaskFamily task = options.task();
    TraceWriter writer = options.traceWriter();
    Random noise = new Random(options.seed());
    try (Policy policy =
        options.initialPolicy() != null
            ? Policy.load(options.initialPolicy())
            : Policy.create(config, tokenizer, options.seed())) {
      LOG.info(
          "pretraining {} parameters: {} steps x {} traces, trace writer {}, task {}",
          policy.parameterCount(),
          options.steps(),
          options.batchSize(),
          writer.settings(),
          task.name());
      long problemSeed = options.seed() * 1_000_003L;
      double recentLoss = Double.NaN;
      long lastLog = System.nanoTime();
      for (int step = 1; step <= options.steps(); step++) {
        List<SupervisedExample> batch = new ArrayList<>(options.batchSize());
        for (int i = 0; i < options.batchSize(); i++) {
          Problem problem = task.generate(problemSeed++);
          String trace =
              noise.nextDouble() < options.answerEarlyRate()
                  ? earlyAnswer(task, problem, noise)
                  : writer.write(problem, noise);
          int[] target = append(tokenizer.encode(trace), tokenizer.eosId());
          batch.add(new SupervisedExample(problem.prompt(), target));
        }
        double loss =
            policy.supervisedStep(batch, learningRate(options, step), options.maxGradNorm());
        recentLoss = Double.isNaN(recentLoss) ? loss : 0.95 * recentLoss + 0.05 * loss;
        long now = System.nanoTime();
        if ((now - lastLog) / 1_000_000 >= options.logIntervalMs() || step == options.steps()) {
          double elapsedS = (now - start) / 1e9;
          double stepsPerS = step / elapsedS;
          LOG.info(
              "step {}/{} loss {} ({} steps/s, ETA {} s)",
              step,
              options.steps(),
              String.format("%.4f", recentLoss),
              String.format("%.2f", stepsPerS),
              Math.round((options.steps() - step) / stepsPerS));
          lastLog = now;
        }
        if (options.snapshotEvery() > 0 && step % options.snapshotEvery() == 0) {
          snapshot(policy, options, writer, step, recentLoss);
        }
      }
      double accuracy =
          options.evalProblems() == 0
              ? Double.NaN
              : accuracy(
                  policy,
                  options.evalTask(),
                  options.evalProblems(),
                  options.seed() + EVAL_SEED_OFFSET,
                  options.seed());
      LOG.info(
          "pretraining done: loss {}, accuracy {} on {} fresh problems",
          String.format("%.4f", recentLoss),
          accuracy,
          options.evalProblems());
      Checkpoint checkpoint = null;
      if (options.store() != null) {
        Map<String, Double> metrics = new TreeMap<>(writer.settings());
        metrics.put("pretrain_loss", recentLoss);
        metrics.put("pretrain_accuracy", accuracy);
        metrics.put("pretrain_steps", (double) options.steps());
        checkpoint = policy.save(options.store(), options.version(), null, metrics);
      }
      long wallTimeMs = (System.nanoTime() - start) / 1_000_000;
      return new PretrainResult(
          options.steps(), recentLoss, accuracy, wallTimeMs, policy.parameterCount(), checkpoint);
    }
  }

  /** Measures accuracy now and writes the policy as version {@code version + step}. */
  private static void snapshot(
      Policy policy, PretrainOptions options, TraceWriter writer, int step, double loss)
      throws IOException {
    double accuracy =
        accuracy(
            policy,
            options.evalTask(),
            options.evalProblems(),
            options.seed() + EVAL_SEED_OFFSET,
            options.seed());
    Map<String, Double> metrics = new TreeMap<>(writer.settings());
    metrics.put("pretrain_loss", loss);
    metrics.put("pretrain_accuracy", accuracy);
    metrics.put("pretrain_steps", (double) step);
    policy.save(options.store(), options.version() + step, null, metrics);
    LOG.info(
        "snapshot at step {}: loss {}, accuracy {}", step, String.format("%.4f", loss), accuracy);
  }

  /**
   * Share of {@code problems} fresh held-out problems (seeds from {@code firstSeed}) whose trace
   * sampled at temperature 1 is verified correct.
   */
  public static double accuracy(
      Policy policy, TaskFamily task, int problems, long firstSeed, long samplingSeed) {
    int correct = 0;
    for (int start = 0; start < problems; start += EVAL_BATCH) {
      int n = Math.min(EVAL_BATCH, problems - start);
      List<Problem> batch = new ArrayList<>(n);
      List<GenerationRequest> requests = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Problem problem = task.generateHeldOut(firstSeed + start + i);
        batch.add(problem);
        requests.add(GenerationRequest.of(problem.prompt()));
      }
      List<Sample> samples =
          policy.generate(
              requests,
              GenerationOptions.builder()
                  .optTemperature(1.0)
                  .optMaxTokens(policy.config().maxContext())
                  .optSeed(samplingSeed + start)
                  .optAnswerCue(task.answerCue())
                  .optLineEnd(task.lineEnd())
                  .build());
      for (int i = 0; i < n; i++) {
        if (task.verify(batch.get(i), samples.get(i).text()).isCorrect()) {
          correct++;
        }
      }
    }
    return (double) correct / problems;
  }

  /**
   * The first j lines of the problem's correct solution (j uniform over 0..lines−1) and then its
   * answer line: a correct trace stopped early and asked for the answer.
   */
  static String earlyAnswer(TaskFamily task, Problem problem, Random random) {
    List<String> lines = task.splitSteps(problem.solution());
    StringBuilder trace = new StringBuilder();
    int keep = random.nextInt(Math.max(1, lines.size()));
    for (int j = 0; j < keep; j++) {
      trace.append(lines.get(j));
    }
    return trace.append(task.answerCue()).append(task.answerSuffix(problem.answer())).toString();
  }

  private static double learningRate(PretrainOptions options, int step) {
    if (step <= options.warmupSteps()) {
      return options.learningRate() * step / options.warmupSteps();
    }
    double progress =
        (double) (step - options.warmupSteps())
            / Math.max(1, options.steps() - options.warmupSteps());
    double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress)));
    return options.learningRate() * (0.1 + 0.9 * cosine);
  }

  private static int[] append(int[] tokens, int last) {
    int[] out = java.util.Arrays.copyOf(tokens, tokens.length + 1);
    out[tokens.length] = last;
    return out;
  }
}
