package dev.rredcot.model.backend;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws the next token from a row of log-probabilities with temperature and nucleus (top-p)
 * filtering, the one sampling rule of every backend that generates: one uniform draw per call
 * (consumed for greedy decoding too, so greedy and sampled runs advance the generator alike),
 * forbidden ids never chosen, ties broken by the lowest id.
 */
public final class TokenSampler {
  private final boolean[] allowed;

  /**
   * A sampler for rows of {@code vocab} log-probabilities.
   *
   * @param vocab length of the log-probability rows
   * @param forbidden ids that are never sampled (pad, bos)
   * @param tokenizerVocab ids at or above this have no text and are never sampled either
   */
  public TokenSampler(int vocab, int[] forbidden, int tokenizerVocab) {
    allowed = new boolean[vocab];
    Arrays.fill(allowed, 0, Math.min(vocab, tokenizerVocab), true);
    for (int id : forbidden) {
      allowed[id] = false;
    }
  }

  /** The sampled id for one row of log-probabilities, drawing once from {@code random}. */
  public int sample(float[] logProbs, GenerationOptions options, SplittableRandom random) {
    int vocab = logProbs.length;
    double u = random.nextDouble();
    if (options.temperature() == 0) {
      int best = -1;
      for (int v = 0; v < vocab; v++) {
        if (allowed[v] && (best < 0 || logProbs[v] > logProbs[best])) {
          best = v;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      if (allowed[v]) {
        max = Math.max(max, logProbs[v] / options.temperature());
      }
    }
    double[] p = new double[vocab];
    double total = 0;
    for (int v = 0; v < vocab; v++) {
      p[v] = allowed[v] ? Math.exp(logProbs[v] / options.temperature() - max) : 0;
      total += p[v];
    }
    for (int v = 0; v < vocab; v++) {
      p[v] /= total;
    }
    if (options.topP() < 1) {
      Integer[] order = new Integer[vocab];
      for (int v = 0; v < vocab; v++) {
        order[v] = v;
      }
      Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double kept = 0;
      boolean[] inNucleus = new boolean[vocab];
      for (int idx : order) {
        if (kept >= options.topP()) {
          break;
        }
        inNucleus[idx] = true;
        kept += p[idx];
      }
      for (int v = 0; v < vocab; v++) {
        p[v] = inNucleus[v] ? p[v] / kept : 0;
      }
    }
    double cumulative = 0;
    int lastAllowed = -1;
    for (int v = 0; v < vocab; v++) {
      if (p[v] > 0) {
        cumulative += p[v];
        lastAllowed = v;
        if (u < cumulative) {
          return v;
        }
      }
    }
    return lastAllowed;
  }
}
