package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Token sequences left-padded to one width, with position ids and a causal, padding-aware attention
 * bias, ready for {@link TransformerNetwork#forward} or any {@link TrainableNetwork}.
 *
 * <p>Left padding keeps every row's last token in the last column, so one batched step serves all
 * rows during generation; positions restart at 0 at each row's first real token.
 */
public final class PaddedBatch {
  /**
   * Additive score for forbidden attention: DJL adds the mask to the scores as is; -1e4 is the
   * value found to work here (not -1e9).
   */
  static final float MASKED = -1e4f;

  final List<int[]> sequences;
  final int width;
  final int[] offsets;
  final long realTokens;

  PaddedBatch(List<int[]> sequences, int maxContext) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    this.sequences = sequences;
    int w = 0;
    long real = 0;
    for (int[] seq : sequences) {
      if (seq.length == 0) {
        throw new IllegalArgumentException("empty sequence");
      }
      if (seq.length > maxContext) {
        throw new IllegalArgumentException(
            "sequence of " + seq.length + " tokens exceeds maxContext " + maxContext);
      }
      w = Math.max(w, seq.length);
      real += seq.length;
    }
    this.width = w;
    this.realTokens = real;
    this.offsets = new int[sequences.size()];
    for (int b = 0; b < offsets.length; b++) {
      offsets[b] = w - sequences.get(b).length;
    }
  }

  /** Number of sequences. */
  public int rows() {
    return sequences.size();
  }

  /** Columns: the longest sequence's length. */
  public int width() {
    return width;
  }

  /** Column holding token {@code index} of row {@code row}. */
  int column(int row, int index) {
    return offsets[row] + index;
  }

  NDArray tokenIds(NDManager manager, int padId) {
    return manager.create(tokenIdValues(padId), new Shape(rows(), width));
  }

  /** (rows * width) token ids, row-major, {@code padId} in the padding columns. */
  public long[] tokenIdValues(int padId) {
    long[] ids = new long[rows() * width];
    for (int b = 0; b < rows(); b++) {
      int[] seq = sequences.get(b);
      for (int c = 0; c < width; c++) {
        ids[b * width + c] = c < offsets[b] ? padId : seq[c - offsets[b]];
      }
    }
    return ids;
  }

  NDArray positionIds(NDManager manager) {
    return manager.create(positionValues(), new Shape(rows(), width));
  }

  /** (rows * width) position of each column in its sequence, 0 in the padding columns. */
  public long[] positionValues() {
    long[] pos = new long[rows() * width];
    for (int b = 0; b < rows(); b++) {
      for (int c = offsets[b]; c < width; c++) {
        pos[b * width + c] = c - offsets[b];
      }
    }
    return pos;
  }

  /** (rows * width) 1 where a column holds a real token, 0 where it is padding. */
  public long[] realTokenMask() {
    long[] mask = new long[rows() * width];
    for (int b = 0; b < rows(); b++) {
      for (int c = offsets[b]; c < width; c++) {
        mask[b * width + c] = 1;
      }
    }
    return mask;
  }

  /** (B,1,W,W): a query attends to keys at or before it that are not padding. */
  NDArray attentionBias(NDManager manager) {
    float[] bias = new float[rows() * width * width];
    for (int b = 0; b < rows(); b++) {
      for (int i = 0; i < width; i++) {
        int base = (b * width + i) * width;
        for (int j = 0; j < width; j++) {
          boolean visible = j <= i && j >= offsets[b];
          bias[base + j] = visible ? 0f : MASKED;
        }
      }
    }
    return manager.create(bias, new Shape(rows(), 1, width, width));
  }

  /**
   * (B,W) int64 next-token targets: column {@code c} holds the token at sequence index {@code c -
   * offset + 1} (pad where there is none), so gathering log-softmax outputs with it yields log
   * p(token_{i+1} | tokens_0..i).
   */
  /**
   * (B,W) log p(next token) of every column, gathered from the model's (B,W,V) {@code logits}
   * (padding columns and each row's last column hold the log-probability of {@code padId}; callers
   * mask them out).
   */
  NDArray nextTokenLogProbs(NDManager manager, NDArray logits, int padId) {
    return logits
        .logSoftmax(-1)
        .gather(nextTokenTargets(manager, padId).expandDims(-1), -1)
        .squeeze(-1);
  }

  NDArray nextTokenTargets(NDManager manager, int padId) {
    long[] t = new long[rows() * width];
    for (int b = 0; b < rows(); b++) {
      int[] seq = sequences.get(b);
      for (int c = 0; c < width; c++) {
        int next = c - offsets[b] + 1;
        t[b * width + c] = c >= offsets[b] && next < seq.length ? seq[next] : padId;
      }
    }
    return manager.create(t, new Shape(rows(), width));
  }
}
