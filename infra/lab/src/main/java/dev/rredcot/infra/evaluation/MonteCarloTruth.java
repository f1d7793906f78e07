package dev.rredcot.infra.evaluation;

import dev.rredcot.model.task.TaskFamily;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Ground-truth state values by Monte Carlo with large M: from a trace prefix, M continuations are
 * sampled and verified with the task; the value is the fraction correct, as in the pipeline's
 * {@code mc} estimator. The finished trace's value is its own verification. Values are cached per
 * (rollout, token offset), so segmentations that share a boundary share its samples. The boundaries
 * of one trace that are not cached yet are sampled in one call (at most {@link
 * #MAX_SEQUENCES_PER_CALL} sequences), with a seed made of the run seed, the rollout id and those
 * offsets, so a run is reproducible and independent of the pipeline's {@code mc} estimator (whose
 * seed is the rollout id's hash alone).
 */
public final class MonteCarloTruth {
  /** Most continuations sampled in one call. */
  public static final int MAX_SEQUENCES_PER_CALL = 512;

  private final ContinuationSampler sampler;
  private final TaskFamily task;
  private final int samples;
  private final long seed;
  private final Map<String, Double> cache = new HashMap<>();
  private long generatedContinuations;

  /**
   * M = {@code samples} continuations per boundary from {@code sampler}, verified by {@code task}.
   */
  public MonteCarloTruth(ContinuationSampler sampler, TaskFamily task, int samples, long seed) {
    if (samples < 1) {
      throw new IllegalArgumentException("Monte Carlo samples must be >= 1, got " + samples);
    }
    this.sampler = sampler;
    this.task = task;
    this.samples = samples;
    this.seed = seed;
  }

  /** M. */
  public int samples() {
    return samples;
  }

  /** Continuations sampled so far (cache hits excluded). */
  public long generatedContinuations() {
    return generatedContinuations;
  }

  /**
   * Values v_0..v_K at {@code boundaries} (token offsets) of one trace; the last boundary must be
   * the whole trace.
   *
   * @param rolloutId key of the trace in the cache
   * @param decoder text of a token prefix
   */
  public double[] values(
      String rolloutId,
      String prompt,
      int[] tokens,
      String text,
      String referenceAnswer,
      int[] boundaries,
      Function<int[], String> decoder) {
    int last = boundaries.length - 1;
    if (boundaries[last] != tokens.length) {
      throw new IllegalArgumentException(
          "last boundary " + boundaries[last] + " is not the trace end " + tokens.length);
    }
    List<Integer> missing = new ArrayList<>();
    for (int k = 0; k < last; k++) {
      if (!cache.containsKey(key(rolloutId, boundaries[k])) && !missing.contains(boundaries[k])) {
        missing.add(boundaries[k]);
      }
    }
    int perCall = Math.max(1, MAX_SEQUENCES_PER_CALL / samples);
    for (int from = 0; from < missing.size(); from += perCall) {
      List<Integer> offsets = missing.subList(from, Math.min(missing.size(), from + perCall));
      List<int[]> prefixes = new ArrayList<>();
      List<String> prefixTexts = new ArrayList<>();
      for (int offset : offsets) {
        int[] prefix = Arrays.copyOf(tokens, offset);
        prefixes.add(prefix);
        prefixTexts.add(decoder.apply(prefix));
      }
      List<List<String>> continuations =
          sampler.sample(prompt, prefixes, prefixTexts, samples, callSeed(rolloutId, offsets));
      for (int i = 0; i < offsets.size(); i++) {
        cache.put(
            key(rolloutId, offsets.get(i)),
            fractionCorrect(referenceAnswer, prefixTexts.get(i), continuations.get(i)));
      }
    }
    double[] values = new double[boundaries.length];
    for (int k = 0; k < last; k++) {
      values[k] = cache.get(key(rolloutId, boundaries[k]));
    }
    values[last] = task.verifyAnswer(referenceAnswer, text).isCorrect() ? 1 : 0;
    return values;
  }

  private double fractionCorrect(String referenceAnswer, String prefixText, List<String> texts) {
    if (texts.size() != samples) {
      throw new IllegalStateException(
          "sampler returned " + texts.size() + " continuations, asked for " + samples);
    }
    int correct = 0;
    for (String continuation : texts) {
      if (task.verifyAnswer(referenceAnswer, prefixText + continuation).isCorrect()) {
        correct++;
      }
    }
    generatedContinuations += samples;
    return correct / (double) samples;
  }

  private static String key(String rolloutId, int offset) {
    return rolloutId + "@" + offset;
  }

  private long callSeed(String rolloutId, List<Integer> offsets) {
    return seed * 0x9E3779B97F4A7C15L
        + rolloutId.hashCode() * 0xBF58476D1CE4E5B9L
        + offsets.hashCode();
  }
}
