package dev.rredcot.model.backend;

import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Answer and continuation-bank values computed from a backend's {@link PolicyBackend#logProbs}
 * alone: every prefix + suffix is scored as one sequence (no prefix reuse), all in one call so the
 * backend can batch them. The definitions are those of {@link ValueRequest} and {@link
 * BankRequest}; the built-in policy's KV-cached path must agree with these.
 */
public final class BackendValues {

  private BackendValues() {}

  /** {@code p(answer | prompt + trace[0:b] + cue)} for every boundary b of every request. */
  public static List<double[]> answerValues(PolicyBackend backend, List<ValueRequest> batch) {
    Tokenizer tokenizer = backend.tokenizer();
    List<ScoreRequest> rows = new ArrayList<>();
    int[] scored = new int[batch.size()];
    for (int q = 0; q < batch.size(); q++) {
      ValueRequest r = batch.get(q);
      int[] cue = tokenizer.encode(r.answerCue());
      int[] answer = tokenizer.encode(r.answer());
      scored[q] = answer.length;
      for (int b : r.boundaries()) {
        rows.add(new ScoreRequest(r.prompt(), concat(prefix(r.traceTokens(), b), cue, answer)));
      }
    }
    List<float[]> lp = rows.isEmpty() ? List.of() : backend.logProbs(rows);
    List<double[]> out = new ArrayList<>();
    int row = 0;
    for (int q = 0; q < batch.size(); q++) {
      double[] values = new double[batch.get(q).boundaries().length];
      for (int i = 0; i < values.length; i++, row++) {
        values[i] = Math.exp(tailSum(lp.get(row), scored[q]));
      }
      out.add(values);
    }
    return out;
  }

  /**
   * Continuation-bank values: at every boundary, each distinct remainder that {@link
   * BankRequest#remaindersAfter} aligns with it is scored after the trace prefix and the remainders
   * are combined by the request's aggregation. A remainder that does not fit {@link
   * PolicyBackend#maxContext()} after its prefix is left out; a boundary left with none has value
   * 0.
   */
  public static List<double[]> bankValues(PolicyBackend backend, List<BankRequest> batch) {
    Tokenizer tokenizer = backend.tokenizer();
    List<ScoreRequest> rows = new ArrayList<>();
    List<int[][]> rowLengths = new ArrayList<>();
    for (BankRequest r : batch) {
      int[] trace = r.traceTokens();
      int promptPositions = backend.contextLength(r.prompt(), 0);
      int[][] perBoundary = new int[r.boundaries().length][];
      for (int i = 0; i < perBoundary.length; i++) {
        int b = r.boundaries()[i];
        int[] prefix = prefix(trace, b);
        List<Integer> lengths = new ArrayList<>();
        for (String u : r.remaindersAfter(tokenizer.decode(prefix))) {
          int[] suffix = tokenizer.encode(u);
          if (promptPositions + b + suffix.length > backend.maxContext()) {
            continue;
          }
          rows.add(new ScoreRequest(r.prompt(), concat(prefix, suffix)));
          lengths.add(suffix.length);
        }
        perBoundary[i] = lengths.stream().mapToInt(Integer::intValue).toArray();
      }
      rowLengths.add(perBoundary);
    }
    List<float[]> lp = rows.isEmpty() ? List.of() : backend.logProbs(rows);
    List<double[]> out = new ArrayList<>();
    int row = 0;
    for (int q = 0; q < batch.size(); q++) {
      int[][] perBoundary = rowLengths.get(q);
      double[] values = new double[perBoundary.length];
      for (int i = 0; i < values.length; i++) {
        double[] sums = new double[perBoundary[i].length];
        for (int k = 0; k < sums.length; k++, row++) {
          sums[k] = tailSum(lp.get(row), perBoundary[i][k]);
        }
        values[i] = batch.get(q).aggregation().combine(sums, perBoundary[i]);
      }
      out.add(values);
    }
    return out;
  }

  private static double tailSum(float[] logProbs, int count) {
    double sum = 0;
    for (int s = logProbs.length - count; s < logProbs.length; s++) {
      sum += logProbs[s];
    }
    return sum;
  }

  private static int[] prefix(int[] trace, int length) {
    return Arrays.copyOf(trace, length);
  }

  private static int[] concat(int[]... parts) {
    int length = 0;
    for (int[] part : parts) {
      length += part.length;
    }
    int[] out = new int[length];
    int at = 0;
    for (int[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }
}
