package dev.rredcot.infra.synthetic;

import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownSolver;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.NoisySolver;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.Verification;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Synthetic {@link Rollout} groups without a model, so that some traces are wrong and the verified
 * rewards vary within a group: arithmetic problems ({@link ArithmeticTask}) answered by a {@link
 * NoisySolver} whose steps are wrong at the step error rate, token ids from {@link
 * CharTokenizer#arithmetic()}; or countdown problems ({@link CountdownTask}) answered by a {@link
 * CountdownSolver} that takes a dooming move at that rate, token ids from {@link
 * CharTokenizer#countdown()}.
 *
 * <p>The behaviour log-probs are <b>synthetic</b>: {@code log(0.9)} per token on correct step lines
 * and {@code log(0.4)} on the lines the solver corrupted (arithmetic) or doomed the trace with
 * (countdown), where a model would be less sure; no policy computed them. Entropies are null (the
 * scorer computes them when it needs them).
 *
 * <p>Deterministic given the seed: group {@code i} of seed {@code s} always has the same prompt,
 * traces and ids ({@code groupId = "syn-s<s>-g<i>"}, {@code rolloutId = groupId + "-<sample>"}), so
 * re-sending it is a duplicate that consumers drop.
 */
public final class SyntheticRollouts {
  /** Synthetic log-prob of a token on a correct step or answer line. */
  public static final float CONFIDENT_LOG_PROB = (float) Math.log(0.9);

  /** Synthetic log-prob of a token on a step line the solver wrote wrong. */
  public static final float UNSURE_LOG_PROB = (float) Math.log(0.4);

  private final long seed;
  private final int groupSize;
  private final long policyVersion;
  private final TaskFamily task;
  private final NoisySolver solver;
  private final CountdownSolver countdownSolver;
  private final CharTokenizer tokenizer;
  private final Instant createdAt;

  private SyntheticRollouts(Builder builder) {
    this.seed = builder.seed;
    this.groupSize = builder.groupSize;
    this.policyVersion = builder.policyVersion;
    this.task = builder.task;
    if (task instanceof CountdownTask countdown) {
      this.solver = null;
      this.countdownSolver =
          new CountdownSolver(
              builder.stepErrorRate, PretrainOptions.COUNTDOWN_GIVE_UP_RATE, countdown.oracle());
      this.tokenizer = CharTokenizer.countdown();
    } else {
      this.solver = new NoisySolver(builder.stepErrorRate);
      this.countdownSolver = null;
      this.tokenizer = CharTokenizer.arithmetic();
    }
    this.createdAt = builder.createdAt;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int groupSize() {
    return groupSize;
  }

  public long seed() {
    return seed;
  }

  /** The group id of group {@code groupIndex}. */
  public String groupId(int groupIndex) {
    return "syn-s" + seed + "-g" + groupIndex;
  }

  /** All {@link #groupSize()} samples of group {@code groupIndex}, in sample order. */
  public List<Rollout> group(int groupIndex) {
    if (groupIndex < 0) {
      throw new IllegalArgumentException("groupIndex must not be negative, got " + groupIndex);
    }
    // One independent stream per group, so group i does not depend on how many came before.
    SplittableRandom groupRandom =
        new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (groupIndex + 1)));
    Problem problem = task.generate(groupRandom.nextLong() & Long.MAX_VALUE);
    String groupId = groupId(groupIndex);
    List<Rollout> samples = new ArrayList<>(groupSize);
    for (int sample = 0; sample < groupSize; sample++) {
      Random random = new Random(groupRandom.nextLong());
      String text;
      Set<Integer> unsureLines;
      if (countdownSolver != null) {
        CountdownSolver.SearchTrace trace = countdownSolver.solve(problem, random);
        text = trace.trace();
        unsureLines =
            trace.doomedStep().isPresent() ? Set.of(trace.doomedStep().getAsInt()) : Set.of();
      } else {
        NoisySolver.NoisyTrace trace = solver.solve(problem, random);
        text = trace.trace();
        unsureLines = new HashSet<>(trace.corruptedSteps());
      }
      Verification verification = task.verify(problem, text);
      int[] ids = tokenizer.encode(text);
      List<Integer> tokenIds = new ArrayList<>(ids.length);
      for (int id : ids) {
        tokenIds.add(id);
      }
      samples.add(
          Rollout.newBuilder()
              .setRolloutId(groupId + "-" + sample)
              .setPromptId(problem.id())
              .setGroupId(groupId)
              .setSampleIndex(sample)
              .setGroupSize(groupSize)
              .setPolicyVersion(policyVersion)
              .setTaskFamily(problem.family())
              .setPromptText(problem.prompt())
              .setTokenIds(tokenIds)
              .setText(text)
              .setLogProbs(syntheticLogProbs(text, unsureLines))
              .setEntropies(null)
              .setExtractedAnswer(verification.extractedAnswer().orElse(null))
              .setReferenceAnswer(problem.answer())
              .setReferenceSolution(problem.solution())
              .setReward(verification.reward())
              .setCreatedAtMs(createdAt)
              .build());
    }
    return samples;
  }

  /**
   * The first {@code count} rollouts (groups 0, 1, ...).
   *
   * @throws IllegalArgumentException unless {@code count} is a positive multiple of the group size
   */
  public List<Rollout> generate(int count) {
    requireFullGroups(count, groupSize);
    List<Rollout> rollouts = new ArrayList<>(count);
    for (int group = 0; group < count / groupSize; group++) {
      rollouts.addAll(group(group));
    }
    return rollouts;
  }

  /** Checks that {@code count} rollouts form full groups of {@code groupSize}. */
  public static void requireFullGroups(long count, int groupSize) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, got " + count);
    }
    if (count % groupSize != 0) {
      throw new IllegalArgumentException(
          "count "
              + count
              + " is not a multiple of the group size "
              + groupSize
              + ": groups must be full (e.g. count "
              + (count / groupSize + 1) * groupSize
              + ")");
    }
  }

  private static List<Float> syntheticLogProbs(String text, Set<Integer> corrupted) {
    List<Float> logProbs = new ArrayList<>(text.length());
    int line = 0;
    for (int i = 0; i < text.length(); i++) {
      logProbs.add(corrupted.contains(line) ? UNSURE_LOG_PROB : CONFIDENT_LOG_PROB);
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return logProbs;
  }

  /** Builder; every setting has a default (seed 1, groups of 8, 15% wrong steps). */
  public static final class Builder {
    private long seed = 1;
    private int groupSize = 8;
    private double stepErrorRate = 0.15;
    private long policyVersion = 0;
    private TaskFamily task = ArithmeticTask.defaults();
    private Instant createdAt = Instant.now();

    private Builder() {}

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder optGroupSize(int groupSize) {
      this.groupSize = groupSize;
      return this;
    }

    /**
     * Probability that the solver writes a step wrong (arithmetic) or takes a dooming move
     * (countdown), in [0, 1].
     */
    public Builder optStepErrorRate(double stepErrorRate) {
      this.stepErrorRate = stepErrorRate;
      return this;
    }

    public Builder optPolicyVersion(long policyVersion) {
      this.policyVersion = policyVersion;
      return this;
    }

    /**
     * The problems: an {@link ArithmeticTask} (default: its defaults) or a {@link CountdownTask}.
     *
     * @throws IllegalArgumentException for another family (no solver writes its traces)
     */
    public Builder optTask(TaskFamily task) {
      Objects.requireNonNull(task, "task");
      if (!(task instanceof ArithmeticTask) && !(task instanceof CountdownTask)) {
        throw new IllegalArgumentException(
            "synthetic rollouts need an arith or countdown task, got " + task.name());
      }
      this.task = task;
      return this;
    }

    /** The {@code createdAtMs} of every rollout (default: when the builder was made). */
    public Builder optCreatedAt(Instant createdAt) {
      this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
      return this;
    }

    public SyntheticRollouts build() {
      if (groupSize < 1) {
        throw new IllegalArgumentException("group size must be at least 1, got " + groupSize);
      }
      if (!(stepErrorRate >= 0 && stepErrorRate <= 1)) {
        throw new IllegalArgumentException(
            "step error rate must be in [0, 1], got " + stepErrorRate);
      }
      if (policyVersion < 0) {
        throw new IllegalArgumentException(
            "policy version must not be negative, got " + policyVersion);
      }
      return new SyntheticRollouts(this);
    }
  }
}
