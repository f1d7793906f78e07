package dev.rredcot.model.policy;

import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.policy.SuffixLogProbs.SuffixRow;
import dev.rredcot.model.policy.SuffixLogProbs.SuffixScores;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Boundary values of traces: the answer probability after each prefix, and the continuation-bank
 * value (aligned remainders of correct solutions), both built on {@link SuffixLogProbs}.
 */
final class BoundaryValues {
  private final PolicyForward forward;
  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final SuffixLogProbs suffixes;

  BoundaryValues(PolicyForward forward) {
    this.forward = forward;
    this.config = forward.config;
    this.tokenizer = forward.tokenizer;
    this.suffixes = new SuffixLogProbs(forward);
  }

  /** See {@link Policy#answerValues}; the caller holds the policy's lock with autograd off. */
  List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
    List<int[]> fulls = new ArrayList<>();
    List<SuffixRow> rows = new ArrayList<>();
    int[] cueLengths = new int[batch.size()];
    for (int q = 0; q < batch.size(); q++) {
      ValueRequest r = batch.get(q);
      int[] cue = tokenizer.encode(r.answerCue());
      int[] suffix = PolicyForward.concat(cue, tokenizer.encode(r.answer()));
      cueLengths[q] = cue.length;
      int[] full = forward.context(r.prompt(), r.traceTokens());
      fulls.add(full);
      int promptLength = full.length - r.traceTokens().length;
      for (int b : r.boundaries()) {
        rows.add(new SuffixRow(q, promptLength + b, suffix));
      }
    }
    float[][] lp = reuseKvCache ? suffixes.cached(fulls, rows).rows() : suffixes.rerun(fulls, rows);
    List<double[]> out = new ArrayList<>();
    int row = 0;
    for (int q = 0; q < batch.size(); q++) {
      double[] values = new double[batch.get(q).boundaries().length];
      for (int i = 0; i < values.length; i++, row++) {
        double sum = 0;
        for (int s = cueLengths[q]; s < lp[row].length; s++) {
          sum += lp[row][s];
        }
        values[i] = Math.exp(sum);
      }
      out.add(values);
    }
    return out;
  }

  /** See {@link Policy#bankValues}; the caller holds the policy's lock with autograd off. */
  List<double[]> bankValues(List<BankRequest> batch, boolean reuseKvCache) {
    ScoredSequences sequences = new ScoredSequences();
    int[] traceSequence = new int[batch.size()];
    for (int q = 0; q < batch.size(); q++) {
      BankRequest r = batch.get(q);
      traceSequence[q] = sequences.add(forward.context(r.prompt(), r.traceTokens()));
    }
    if (reuseKvCache) {
      addBankTextsWorthScoring(batch, sequences, traceSequence);
    }
    List<SuffixRow> rows = new ArrayList<>();
    // terms.get(q)[i]: boundary i's remainders, each a suffix row or a slice of a sequence.
    List<BankTerm[][]> terms = new ArrayList<>();
    for (int q = 0; q < batch.size(); q++) {
      BankRequest r = batch.get(q);
      int[] trace = r.traceTokens();
      int[] full = sequences.get(traceSequence[q]);
      int promptLength = full.length - trace.length;
      BankTerm[][] perBoundary = new BankTerm[r.boundaries().length][];
      for (int i = 0; i < perBoundary.length; i++) {
        int b = r.boundaries()[i];
        int from = promptLength + b;
        String own = tokenizer.decode(Arrays.copyOfRange(trace, b, trace.length));
        List<BankTerm> boundaryTerms = new ArrayList<>();
        for (String u : r.remaindersAfter(tokenizer.decode(Arrays.copyOf(trace, b)))) {
          if (reuseKvCache && u.equals(own)) {
            boundaryTerms.add(BankTerm.slice(traceSequence[q], from));
            continue;
          }
          int[] suffix = tokenizer.encode(u);
          if (from + suffix.length > config.maxContext()) {
            continue;
          }
          int scored =
              reuseKvCache
                  ? sequences.indexOf(PolicyForward.concat(Arrays.copyOf(full, from), suffix))
                  : -1;
          if (scored >= 0) {
            boundaryTerms.add(BankTerm.slice(scored, from));
          } else {
            boundaryTerms.add(BankTerm.row(rows.size()));
            rows.add(new SuffixRow(traceSequence[q], from, suffix));
          }
        }
        perBoundary[i] = boundaryTerms.toArray(new BankTerm[0]);
      }
      terms.add(perBoundary);
    }
    SuffixScores scores =
        reuseKvCache
            ? suffixes.cached(sequences.list, rows)
            : new SuffixScores(suffixes.rerun(sequences.list, rows), null);
    List<double[]> out = new ArrayList<>();
    for (int q = 0; q < batch.size(); q++) {
      BankRequest r = batch.get(q);
      double[] values = new double[r.boundaries().length];
      for (int i = 0; i < values.length; i++) {
        BankTerm[] boundaryTerms = terms.get(q)[i];
        double[] sums = new double[boundaryTerms.length];
        int[] lengths = new int[boundaryTerms.length];
        for (int k = 0; k < boundaryTerms.length; k++) {
          BankTerm term = boundaryTerms[k];
          float[] lp =
              term.row() >= 0
                  ? scores.rows()[term.row()]
                  : Arrays.copyOfRange(
                      scores.contexts()[term.sequence()],
                      term.from(),
                      sequences.get(term.sequence()).length);
          for (float v : lp) {
            sums[k] += v;
          }
          lengths[k] = lp.length;
        }
        values[i] = r.aggregation().combine(sums, lengths);
      }
      out.add(values);
    }
    return out;
  }

  /**
   * Adds to {@code sequences} each bank text (prompt + steps + cue + answer) that is not a trace
   * and whose pass costs fewer tokens than the suffix rows it replaces: the remainders that
   * complete a trace prefix to exactly that text. A text shared by many traces of a group pays off
   * once; a text that one trace leaves in its first line does not.
   */
  private void addBankTextsWorthScoring(
      List<BankRequest> batch, ScoredSequences sequences, int[] traceSequence) {
    Map<IntBuffer, int[]> candidates = new LinkedHashMap<>();
    for (BankRequest r : batch) {
      for (List<String> steps : r.bankSteps()) {
        String text = String.join("", steps) + r.answerCue() + r.answer();
        int[] full = forward.context(r.prompt(), tokenizer.encode(text));
        if (full.length <= config.maxContext() && sequences.indexOf(full) < 0) {
          candidates.putIfAbsent(IntBuffer.wrap(full), full);
        }
      }
    }
    Map<IntBuffer, Long> rowTokens = new HashMap<>();
    for (int q = 0; q < batch.size() && !candidates.isEmpty(); q++) {
      BankRequest r = batch.get(q);
      int[] trace = r.traceTokens();
      int[] full = sequences.get(traceSequence[q]);
      int promptLength = full.length - trace.length;
      for (int b : r.boundaries()) {
        String own = tokenizer.decode(Arrays.copyOfRange(trace, b, trace.length));
        for (String u : r.remaindersAfter(tokenizer.decode(Arrays.copyOf(trace, b)))) {
          if (u.equals(own)) {
            continue;
          }
          int[] suffix = tokenizer.encode(u);
          IntBuffer completed =
              IntBuffer.wrap(PolicyForward.concat(Arrays.copyOf(full, promptLength + b), suffix));
          if (candidates.containsKey(completed)) {
            rowTokens.merge(completed, (long) suffix.length, Long::sum);
          }
        }
      }
    }
    for (Map.Entry<IntBuffer, int[]> candidate : candidates.entrySet()) {
      if (rowTokens.getOrDefault(candidate.getKey(), 0L) > candidate.getValue().length) {
        sequences.add(candidate.getValue());
      }
    }
  }

  /**
   * One remainder's log-probabilities: suffix row {@code row}, or (row −1) the tokens of scored
   * sequence {@code sequence} from index {@code from} to its end.
   */
  private record BankTerm(int row, int sequence, int from) {
    static BankTerm row(int row) {
      return new BankTerm(row, -1, -1);
    }

    static BankTerm slice(int sequence, int from) {
      return new BankTerm(-1, sequence, from);
    }
  }

  /** Distinct token sequences in first-seen order, found again by content. */
  private static final class ScoredSequences {
    final List<int[]> list = new ArrayList<>();
    private final Map<IntBuffer, Integer> index = new HashMap<>();

    /** Index of {@code sequence}, added when new. */
    int add(int[] sequence) {
      return index.computeIfAbsent(
          IntBuffer.wrap(sequence),
          key -> {
            list.add(sequence);
            return list.size() - 1;
          });
    }

    /** Index of a sequence with these tokens, or −1. */
    int indexOf(int[] sequence) {
      return index.getOrDefault(IntBuffer.wrap(sequence), -1);
    }

    int[] get(int i) {
      return list.get(i);
    }
  }
}
