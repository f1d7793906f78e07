package dev.rredcot.pipelines.segment;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Cuts a trace of T tokens into segments and returns K+1 token offsets {@code 0 = b_0 < b_1 < ... <
 * b_K = T}; segment k covers tokens {@code [b_{k-1}, b_k)}, so the segments cover the trace exactly
 * with no gap and no overlap. Pure and stateless.
 *
 * <p>Keyword cuts are found in text: the caller passes one string per token (their concatenation is
 * the trace text) and a cut at a character maps to the token that contains it. Entropy merge works
 * on token offsets only.
 */
public final class Segmenter {
  private final SegmentationSettings settings;

  public Segmenter(SegmentationSettings settings) {
    this.settings = settings;
  }

  /**
   * Segments one trace whose lines end with a newline; see {@link #segment(int, List, float[],
   * String)}.
   */
  public int[] segment(int tokenCount, List<String> tokenTexts, float[] entropies) {
    return segment(tokenCount, tokenTexts, entropies, "\n");
  }

  /**
   * Segments one trace.
   *
   * @param tokenCount T, at least 1
   * @param tokenTexts one string per token; required when the strategy needs text
   * @param entropies one entropy (nats) per token; required when the strategy needs entropies
   * @param lineEnd the text that ends a line of the trace's task family (keyword cuts follow it)
   * @throws MissingEntropiesException when the strategy needs entropies and none are given
   */
  public int[] segment(int tokenCount, List<String> tokenTexts, float[] entropies, String lineEnd) {
    if (tokenCount < 1) {
      throw new IllegalArgumentException("a trace needs at least one token, got " + tokenCount);
    }
    SegmentationStrategy strategy = settings.strategy();
    if (strategy.needsEntropies() && entropies == null) {
      throw new MissingEntropiesException(
          strategy.optionValue()
              + " segmentation needs per-token entropies and the rollout has none");
    }
    if (entropies != null && entropies.length != tokenCount) {
      throw new IllegalArgumentException(
          entropies.length + " entropies for " + tokenCount + " tokens");
    }
    if (strategy.needsText() && (tokenTexts == null || tokenTexts.size() != tokenCount)) {
      throw new IllegalArgumentException(
          strategy.optionValue()
              + " segmentation needs one text per token ("
              + tokenCount
              + "), got "
              + (tokenTexts == null ? "none" : tokenTexts.size()));
    }
    TreeSet<Integer> cuts;
    switch (strategy) {
      case SINGLE:
        return new int[] {0, tokenCount};
      case FIXED:
        cuts = new TreeSet<>();
        for (int offset = settings.fixedTokens();
            offset < tokenCount;
            offset += settings.fixedTokens()) {
          cuts.add(offset);
        }
        break;
      case KEYWORD:
        cuts = keywordCuts(tokenTexts, settings.cueWords(), lineEnd);
        break;
      case ENTROPY:
        cuts = new TreeSet<>();
        for (int offset = 1; offset < tokenCount; offset++) {
          cuts.add(offset);
        }
        cuts =
            mergeLowestPairs(
                cuts,
                tokenCount,
                entropies,
                settings.targetSegments(),
                settings.mergeEntropyThreshold());
        break;
      case HYBRID:
        cuts =
            mergeLowestPairs(
                keywordCuts(tokenTexts, settings.cueWords(), lineEnd),
                tokenCount,
                entropies,
                settings.targetSegments(),
                settings.mergeEntropyThreshold());
        break;
      default:
        throw new IllegalStateException("unhandled strategy " + strategy);
    }
    return toBoundaries(enforceLimits(cuts, tokenCount, entropies), tokenCount);
  }

  /**
   * Keyword cuts of a trace whose lines end with a newline; see {@link #keywordCuts(List, List,
   * String)}.
   */
  static TreeSet<Integer> keywordCuts(List<String> tokenTexts, List<String> cueWords) {
    return keywordCuts(tokenTexts, cueWords, "\n");
  }

  /**
   * Token offsets where a segment starts because of text: after every line end ({@code lineEnd},
   * the task family's, a newline for the built-in ones) and before every cue word that starts a
   * word (preceded by start, whitespace or punctuation, and not followed by a letter). A cue inside
   * a token cuts before that token.
   */
  static TreeSet<Integer> keywordCuts(
      List<String> tokenTexts, List<String> cueWords, String lineEnd) {
    StringBuilder text = new StringBuilder();
    int[] tokenOfChar = new int[0];
    List<Integer> owners = new ArrayList<>();
    for (int token = 0; token < tokenTexts.size(); token++) {
      String piece = tokenTexts.get(token);
      text.append(piece);
      for (int i = 0; i < piece.length(); i++) {
        owners.add(token);
      }
    }
    tokenOfChar = owners.stream().mapToInt(Integer::intValue).toArray();
    TreeSet<Integer> cuts = new TreeSet<>();
    String trace = text.toString();
    for (int i = 0; i < trace.length(); i++) {
      int afterLineEnd = i + lineEnd.length();
      if (trace.startsWith(lineEnd, i) && afterLineEnd < trace.length()) {
        addCutAtChar(cuts, tokenOfChar, afterLineEnd, true);
      }
      // Code points, not chars: a letter outside the basic plane is a surrogate pair, and
      // neither of its halves is a letter on its own.
      boolean wordStart = i == 0 || !Character.isLetterOrDigit(trace.codePointBefore(i));
      if (!wordStart) {
        continue;
      }
      for (String cue : cueWords) {
        int end = i + cue.length();
        if (trace.startsWith(cue, i)
            && (end >= trace.length() || !Character.isLetter(trace.codePointAt(end)))) {
          addCutAtChar(cuts, tokenOfChar, i, false);
          break;
        }
      }
    }
    cuts.remove(0);
    cuts.remove(tokenTexts.size());
    return cuts;
  }

  private static void addCutAtChar(
      TreeSet<Integer> cuts, int[] tokenOfChar, int charIndex, boolean afterNewline) {
    int token = tokenOfChar[charIndex];
    boolean startsToken = charIndex == 0 || tokenOfChar[charIndex - 1] != token;
    // A newline inside a multi-character token ends that token's segment; a cue word inside one
    // starts with that token.
    cuts.add(startsToken || !afterNewline ? token : token + 1);
  }

  /**
   * Repeatedly merges the adjacent pair of segments with the lowest summed weight until {@code
   * target} segments remain or no pair is below {@code threshold}; ties go to the earlier pair. O(K
   * log K) with a heap over pairs and a linked list of segments.
   */
  static TreeSet<Integer> mergeLowestPairs(
      TreeSet<Integer> cuts, int tokenCount, float[] weights, int target, double threshold) {
    int[] starts = toBoundaries(cuts, tokenCount);
    int count = starts.length - 1;
    if (count <= target) {
      return new TreeSet<>(cuts);
    }
    double[] sum = new double[count];
    int[] end = new int[count];
    int[] prev = new int[count];
    int[] next = new int[count];
    int[] version = new int[count];
    boolean[] alive = new boolean[count];
    for (int k = 0; k < count; k++) {
      end[k] = starts[k + 1];
      for (int t = starts[k]; t < starts[k + 1]; t++) {
        sum[k] += weights == null ? 1.0 : weights[t];
      }
      prev[k] = k - 1;
      next[k] = k + 1 < count ? k + 1 : -1;
      alive[k] = true;
    }
    // Entries: {cost, left, leftVersion, right, rightVersion}; stale ones are skipped on pop.
    PriorityQueue<double[]> pairs =
        new PriorityQueue<>(
            (a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
    for (int k = 0; k + 1 < count; k++) {
      pairs.add(new double[] {sum[k] + sum[k + 1], k, 0, k + 1, 0});
    }
    int remaining = count;
    while (remaining > target && !pairs.isEmpty()) {
      double[] pair = pairs.poll();
      int left = (int) pair[1];
      int right = (int) pair[3];
      if (!alive[left]
          || !alive[right]
          || version[left] != (int) pair[2]
          || version[right] != (int) pair[4]
          || next[left] != right) {
        continue;
      }
      if (pair[0] >= threshold) {
        break;
      }
      sum[left] += sum[right];
      end[left] = end[right];
      alive[right] = false;
      next[left] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = left;
      }
      version[left]++;
      remaining--;
      if (prev[left] >= 0) {
        int p = prev[left];
        pairs.add(new double[] {sum[p] + sum[left], p, version[p], left, version[left]});
      }
      if (next[left] >= 0) {
        int n = next[left];
        pairs.add(new double[] {sum[left] + sum[n], left, version[left], n, version[n]});
      }
    }
    TreeSet<Integer> merged = new TreeSet<>();
    for (int k = 0; k < count; k++) {
      if (alive[k] && end[k] < tokenCount) {
        merged.add(end[k]);
      }
    }
    return merged;
  }

  /**
   * Applies maxTokens (split), then minTokens (merge into the shorter neighbour), then maxSegments.
   */
  private TreeSet<Integer> enforceLimits(TreeSet<Integer> cuts, int tokenCount, float[] entropies) {
    TreeSet<Integer> limited = new TreeSet<>(cuts);
    if (settings.maxTokens() > 0) {
      int[] bounds = toBoundaries(limited, tokenCount);
      for (int k = 0; k + 1 < bounds.length; k++) {
        int length = bounds[k + 1] - bounds[k];
        int pieces = (length + settings.maxTokens() - 1) / settings.maxTokens();
        for (int piece = 1; piece < pieces; piece++) {
          limited.add(bounds[k] + (int) ((long) length * piece / pieces));
        }
      }
    }
    boolean merged = true;
    while (merged && !limited.isEmpty()) {
      merged = false;
      int[] bounds = toBoundaries(limited, tokenCount);
      for (int k = 0; k + 1 < bounds.length; k++) {
        if (bounds[k + 1] - bounds[k] >= settings.minTokens()) {
          continue;
        }
        boolean hasLeft = k > 0;
        boolean hasRight = k + 2 < bounds.length;
        boolean mergeLeft =
            hasLeft && (!hasRight || bounds[k] - bounds[k - 1] <= bounds[k + 2] - bounds[k + 1]);
        limited.remove(mergeLeft ? bounds[k] : bounds[k + 1]);
        merged = true;
        break;
      }
    }
    if (limited.size() + 1 > settings.maxSegments()) {
      limited =
          mergeLowestPairs(
              limited, tokenCount, entropies, settings.maxSegments(), Double.POSITIVE_INFINITY);
    }
    return limited;
  }

  private static int[] toBoundaries(TreeSet<Integer> cuts, int tokenCount) {
    int[] bounds = new int[cuts.size() + 2];
    int i = 1;
    for (int cut : cuts) {
      bounds[i++] = cut;
    }
    bounds[bounds.length - 1] = tokenCount;
    return bounds;
  }
}
