package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of suffix tokens after prefixes of context sequences, the computation under
 * every boundary value: either reusing one batched context pass's KV cache for all suffix rows, or
 * (the oracle) re-running every prefix + suffix in full.
 */
final class SuffixLogProbs {

  /** Rows per batched pass when scoring many boundary suffixes, to bound memory. */
  private static final int MAX_SUFFIX_ROWS = 128;

  private final PolicyForward forward;
  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final TransformerNetwork network;

  SuffixLogProbs(PolicyForward forward) {
    this.forward = forward;
    this.config = forward.config;
    this.tokenizer = forward.tokenizer;
    this.network = forward.network;
  }

  /** Suffix tokens to score after the first {@code prefixLength} tokens of request's context. */
  record SuffixRow(int request, int prefixLength, int[] suffix) {}

  /**
   * Log-probabilities of every suffix row, and of every context token (index i of request q holds
   * {@code log p(context[i] | context[0:i])}, index 0 is 0) when the context pass was run.
   */
  record SuffixScores(float[][] rows, float[][] contexts) {}

  /**
   * Log-probabilities of each row's suffix tokens after its request's prefix: one batched pass over
   * all contexts fills a KV cache, then suffix rows (right-padded, in chunks) attend to their
   * request's cached keys before the prefix length plus their own earlier suffix tokens.
   */
  SuffixScores cached(List<int[]> fulls, List<SuffixRow> rows) {
    float[][] out = new float[rows.size()][];
    float[][] contextLp = new float[fulls.size()][];
    try (NDManager manager = forward.newManager()) {
      PaddedBatch contexts = new PaddedBatch(fulls, config.maxContext());
      KvCache cache = new KvCache(config.layers());
      float[] fullLp = forward.fullLogProbs(manager, contexts, cache).toFloatArray();
      int vocab = config.vocabSize();
      int contextWidth = contexts.width;
      for (int q = 0; q < fulls.size(); q++) {
        int[] full = fulls.get(q);
        contextLp[q] = new float[full.length];
        for (int i = 1; i < full.length; i++) {
          int column = contexts.column(q, i - 1);
          contextLp[q][i] = fullLp[(q * contextWidth + column) * vocab + full[i]];
        }
      }
      for (int start = 0; start < rows.size(); start += MAX_SUFFIX_ROWS) {
        int end = Math.min(rows.size(), start + MAX_SUFFIX_ROWS);
        int count = end - start;
        int width = 1;
        for (int i = start; i < end; i++) {
          SuffixRow row = rows.get(i);
          width = Math.max(width, row.suffix().length);
          if (row.prefixLength() + row.suffix().length > config.maxContext()) {
            throw new IllegalArgumentException(
                "prefix + suffix exceeds maxContext " + config.maxContext());
          }
        }
        try (NDManager chunk = manager.newSubManager()) {
          long[] ids = new long[count * width];
          long[] positions = new long[count * width];
          long[] targets = new long[count * width];
          long[] requestOfRow = new long[count];
          int keys = contextWidth + width;
          float[] bias = new float[count * width * keys];
          long real = 0;
          for (int r = 0; r < count; r++) {
            SuffixRow row = rows.get(start + r);
            int[] suffix = row.suffix();
            int offset = contexts.offsets[row.request()];
            requestOfRow[r] = row.request();
            real += suffix.length;
            for (int s = 0; s < width; s++) {
              int idx = r * width + s;
              ids[idx] = s < suffix.length ? suffix[s] : tokenizer.padId();
              positions[idx] = Math.min(row.prefixLength() + s, config.maxContext() - 1);
              targets[idx] = s + 1 < suffix.length ? suffix[s + 1] : tokenizer.padId();
              int base = idx * keys;
              for (int j = 0; j < keys; j++) {
                boolean visible =
                    j < contextWidth
                        ? j >= offset && j < offset + row.prefixLength()
                        : j - contextWidth <= s;
                bias[base + j] = visible ? 0f : PaddedBatch.MASKED;
              }
            }
          }
          KvCache rowsCache = cache.selectRows(chunk.create(requestOfRow));
          // The selected rows and everything computed from them belong to this chunk.
          rowsCache.attach(chunk);
          NDArray logits =
              network.forward(
                  network.embedTokens(chunk.create(ids, new Shape(count, width))),
                  chunk.create(positions, new Shape(count, width)),
                  chunk.create(bias, new Shape(count, 1, width, keys)),
                  rowsCache);
          forward.countTokens(real);
          float[] suffixLp =
              logits
                  .logSoftmax(-1)
                  .gather(chunk.create(targets, new Shape(count, width)).expandDims(-1), -1)
                  .squeeze(-1)
                  .toFloatArray();
          for (int r = 0; r < count; r++) {
            SuffixRow row = rows.get(start + r);
            int[] suffix = row.suffix();
            float[] lp = new float[suffix.length];
            if (suffix.length > 0) {
              // The first suffix token is predicted by the prefix's last position.
              int column = contexts.column(row.request(), row.prefixLength() - 1);
              lp[0] = fullLp[(row.request() * contextWidth + column) * vocab + suffix[0]];
            }
            for (int s = 1; s < suffix.length; s++) {
              lp[s] = suffixLp[r * width + s - 1];
            }
            out[start + r] = lp;
          }
        }
      }
    }
    return new SuffixScores(out, contextLp);
  }

  /** The oracle for {@link #cached}: every prefix + suffix run in full. */
  float[][] rerun(List<int[]> fulls, List<SuffixRow> rows) {
    float[][] out = new float[rows.size()][];
    for (int start = 0; start < rows.size(); start += MAX_SUFFIX_ROWS) {
      int end = Math.min(rows.size(), start + MAX_SUFFIX_ROWS);
      List<int[]> seqs = new ArrayList<>();
      for (int i = start; i < end; i++) {
        SuffixRow row = rows.get(i);
        seqs.add(
            PolicyForward.concat(
                Arrays.copyOf(fulls.get(row.request()), row.prefixLength()), row.suffix()));
      }
      try (NDManager manager = forward.newManager()) {
        PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
        float[] tokenLp = forward.tokenLogProbs(manager, padded).toFloatArray();
        for (int i = start; i < end; i++) {
          int r = i - start;
          SuffixRow row = rows.get(i);
          float[] lp = new float[row.suffix().length];
          for (int s = 0; s < lp.length; s++) {
            int col = padded.column(r, row.prefixLength() + s - 1);
            lp[s] = tokenLp[r * padded.width + col];
          }
          out[i] = lp;
        }
      }
    }
    return out;
  }
}
