package dev.rredcot.model.evaluation;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.Verification;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures a policy's accuracy on a fixed set of held-out prompts: each prompt is sampled {@code k}
 * times at the rollout temperature (accuracy = mean correctness) and once greedily.
 *
 * <p>The prompts come from seeds {@code firstSeed .. firstSeed + prompts - 1}; the default first
 * seed {@link #DEFAULT_FIRST_SEED} lies far above the seeds the task feeder uses for training
 * (which start at 0), so the sets are disjoint. Sampling seeds are fixed, so the same policy always
 * gets the same result.
 *
 * <pre>{@code
 * HeldOutEvaluator evaluator = HeldOutEvaluator.builder().setTask(ArithmeticTask.defaults()).build();
 * EvaluationResult result = evaluator.evaluate(policy);
 * }</pre>
 */
public final class HeldOutEvaluator {

  /** First held-out problem seed: 2^50, disjoint from training seeds that start at 0. */
  public static final long DEFAULT_FIRST_SEED = 1L << 50;

  private static final Logger LOG = LoggerFactory.getLogger(HeldOutEvaluator.class);

  private final TaskFamily task;
  private final List<Problem> problems;
  private final int samplesPerPrompt;
  private final double temperature;
  private final int maxTokens;
  private final long samplingSeed;
  private final int batchSize;

  private HeldOutEvaluator(Builder builder) {
    this.task = builder.task;
    this.samplesPerPrompt = builder.samplesPerPrompt;
    this.temperature = builder.temperature;
    this.maxTokens = builder.maxTokens;
    this.samplingSeed = builder.samplingSeed;
    this.batchSize = builder.batchSize;
    List<Problem> generated = new ArrayList<>(builder.prompts);
    for (int i = 0; i < builder.prompts; i++) {
      generated.add(task.generateHeldOut(builder.firstSeed + i));
    }
    this.problems = List.copyOf(generated);
  }

  /** Starts a builder: 64 prompts, k = 4, temperature 1, 64 tokens, first seed 2^50. */
  public static Builder builder() {
    return new Builder();
  }

  /** The held-out problems, in order. */
  public List<Problem> problems() {
    return problems;
  }

  /** Evaluates {@code policy}; deterministic for a given policy. */
  public EvaluationResult evaluate(PolicyBackend policy) {
    long start = System.nanoTime();
    List<GenerationRequest> sampledRequests = new ArrayList<>();
    List<Problem> sampledProblems = new ArrayList<>();
    for (Problem problem : problems) {
      for (int s = 0; s < samplesPerPrompt; s++) {
        sampledRequests.add(GenerationRequest.of(problem.prompt()));
        sampledProblems.add(problem);
      }
    }
    List<GenerationRequest> greedyRequests = new ArrayList<>();
    for (Problem problem : problems) {
      greedyRequests.add(GenerationRequest.of(problem.prompt()));
    }
    Counts sampled = run(policy, sampledRequests, sampledProblems, temperature);
    Counts greedy = run(policy, greedyRequests, problems, 0.0);
    EvaluationResult result =
        new EvaluationResult(
            policy.version(),
            problems.size(),
            samplesPerPrompt,
            (double) sampled.correct / sampledRequests.size(),
            (double) greedy.correct / problems.size(),
            (double) sampled.wellFormed / sampledRequests.size(),
            (System.nanoTime() - start) / 1_000_000);
    LOG.info(
        "held-out v{}: sampled accuracy {} (k={}), greedy {}, well-formed {}, {} ms",
        result.policyVersion(),
        String.format("%.3f", result.sampledAccuracy()),
        samplesPerPrompt,
        String.format("%.3f", result.greedyAccuracy()),
        String.format("%.3f", result.wellFormedRate()),
        result.wallTimeMs());
    return result;
  }

  private Counts run(
      PolicyBackend policy, List<GenerationRequest> requests, List<Problem> owners, double temp) {
    Counts counts = new Counts();
    for (int from = 0; from < requests.size(); from += batchSize) {
      int to = Math.min(requests.size(), from + batchSize);
      GenerationOptions options =
          GenerationOptions.builder()
              .optTemperature(temp)
              .optMaxTokens(maxTokens)
              // A seed per batch start keeps results independent of how many batches ran before.
              .optSeed(samplingSeed + from)
              .optAnswerCue(task.answerCue())
              .optLineEnd(task.lineEnd())
              .build();
      List<Sample> samples = policy.generate(requests.subList(from, to), options);
      for (int i = from; i < to; i++) {
        Verification verification = task.verify(owners.get(i), samples.get(i - from).text());
        if (verification.isCorrect()) {
          counts.correct++;
        }
        if (verification.isWellFormed()) {
          counts.wellFormed++;
        }
      }
    }
    return counts;
  }

  private static final class Counts {
    long correct;
    long wellFormed;
  }

  /** Builder for {@link HeldOutEvaluator}; {@code task} is required. */
  public static final class Builder {
    private TaskFamily task;
    private int prompts = 64;
    private int samplesPerPrompt = 4;
    private double temperature = 1.0;
    private int maxTokens = 64;
    private long firstSeed = DEFAULT_FIRST_SEED;
    private long samplingSeed = 7;
    private int batchSize = 128;

    private Builder() {}

    /** Task family that generates and verifies the held-out problems. */
    public Builder setTask(TaskFamily task) {
      this.task = task;
      return this;
    }

    /** Number of held-out prompts (default 64). */
    public Builder optPrompts(int prompts) {
      this.prompts = prompts;
      return this;
    }

    /** Traces sampled per prompt, k (default 4). */
    public Builder optSamplesPerPrompt(int samplesPerPrompt) {
      this.samplesPerPrompt = samplesPerPrompt;
      return this;
    }

    /** Sampling temperature; use the rollout temperature (default 1). */
    public Builder optTemperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Most tokens per trace (default 64). */
    public Builder optMaxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    /** First held-out problem seed (default 2^50); keep it disjoint from training seeds. */
    public Builder optFirstSeed(long firstSeed) {
      this.firstSeed = firstSeed;
      return this;
    }

    /** Seed of the sampler (default 7). */
    public Builder optSamplingSeed(long samplingSeed) {
      this.samplingSeed = samplingSeed;
      return this;
    }

    /** Sequences per generation call (default 128). */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Validates and builds (generates the held-out problems). */
    public HeldOutEvaluator build() {
      Objects.requireNonNull(task, "setTask(...) is required");
      requirePositive("prompts", prompts);
      requirePositive("samplesPerPrompt", samplesPerPrompt);
      requirePositive("maxTokens", maxTokens);
      requirePositive("batchSize", batchSize);
      if (!(temperature > 0)) {
        throw new IllegalArgumentException(
            "temperature must be positive (greedy accuracy is measured beside it), got "
                + temperature);
      }
      return new HeldOutEvaluator(this);
    }

    private static void requirePositive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, got " + value);
      }
    }
  }
}
