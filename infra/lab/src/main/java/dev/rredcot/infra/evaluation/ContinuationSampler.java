package dev.rredcot.infra.evaluation;

import java.util.List;

/**
 * Samples continuations of trace prefixes, the generator behind Monte Carlo ground truth: the
 * policy in evaluation runs ({@link PolicyContinuations}), a generator with exactly known values in
 * the tests.
 */
public interface ContinuationSampler {
  /**
   * {@code count} independent continuation texts of each prefix (the trace so far, as token ids and
   * as text) for {@code prompt}, in one call so a model can batch them; result {@code i} holds the
   * continuations of prefix {@code i}.
   */
  List<List<String>> sample(
      String prompt, List<int[]> prefixTokens, List<String> prefixTexts, int count, long seed);
}
