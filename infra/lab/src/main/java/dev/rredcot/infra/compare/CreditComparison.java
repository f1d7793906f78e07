package dev.rredcot.infra.compare;

import dev.rredcot.infra.evaluation.RankCorrelation;
import dev.rredcot.schemas.CreditedRollout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far two credited outputs of the same rollouts agree (e.g. a replay with another credit method
 * against the live output): records are matched by rollout id; segment credit ({@code
 * segmentRewards}) is compared where both sides cut the trace at the same boundaries, token
 * advantages wherever the token counts agree.
 *
 * @param recordsA records read on side A (duplicates included)
 * @param recordsB records read on side B
 * @param duplicatesA records of A whose rollout id came before (the last one is used)
 * @param duplicatesB records of B whose rollout id came before
 * @param matched rollout ids on both sides
 * @param onlyA rollout ids only in A
 * @param onlyB rollout ids only in B
 * @param sameBoundaries matched records whose segment boundaries agree
 * @param segments segment pairs compared (over the records with the same boundaries)
 * @param segmentSpearman Spearman correlation of the segment credits, all pairs pooled (NaN when
 *     undefined)
 * @param meanRecordSpearman mean over records of the within-record Spearman correlation (records
 *     where it is defined: two or more segments, neither side constant)
 * @param recordsWithSpearman records in {@code meanRecordSpearman}
 * @param segmentSignAgreement share of segment pairs with the same sign (zero is its own sign)
 * @param segmentMeanAbsDifference mean |credit A − credit B| over segment pairs
 * @param segmentMaxAbsDifference largest |credit A − credit B|
 * @param valueMaxAbsDifference largest |value A − value B| over the boundary values of the records
 *     with the same boundaries (how closely two scorers of the same policy agree)
 * @param tokens token advantage pairs compared
 * @param tokenSpearman Spearman correlation of token advantages, pooled
 * @param tokenSignAgreement share of token pairs with the same sign
 * @param tokenMeanAbsDifference mean |advantage A − advantage B|
 * @param tokenMaxAbsDifference largest |advantage A − advantage B|
 * @param methodsA count of records of A by creditMethod/valueEstimator/segmentation
 * @param methodsB the same for B
 */
public record CreditComparison(
    long recordsA,
    long recordsB,
    long duplicatesA,
    long duplicatesB,
    long matched,
    long onlyA,
    long onlyB,
    long sameBoundaries,
    long segments,
    double segmentSpearman,
    double meanRecordSpearman,
    long recordsWithSpearman,
    double segmentSignAgreement,
    double segmentMeanAbsDifference,
    double segmentMaxAbsDifference,
    double valueMaxAbsDifference,
    long tokens,
    double tokenSpearman,
    double tokenSignAgreement,
    double tokenMeanAbsDifference,
    double tokenMaxAbsDifference,
    Map<String, Long> methodsA,
    Map<String, Long> methodsB) {

  /** Compares side {@code a} with side {@code b}. */
  public static CreditComparison of(List<CreditedRollout> a, List<CreditedRollout> b) {
    Map<String, CreditedRollout> byIdA = byId(a);
    Map<String, CreditedRollout> byIdB = byId(b);
    long matched = byIdA.keySet().stream().filter(byIdB::containsKey).count();
    Pairs segmentPairs = new Pairs();
    Pairs tokenPairs = new Pairs();
    Pairs valuePairs = new Pairs();
    long sameBoundaries = 0;
    double spearmanSum = 0;
    long recordsWithSpearman = 0;
    for (Map.Entry<String, CreditedRollout> entry : byIdA.entrySet()) {
      CreditedRollout right = byIdB.get(entry.getKey());
      if (right == null) {
        continue;
      }
      CreditedRollout left = entry.getValue();
      if (left.getSegmentBoundaries().equals(right.getSegmentBoundaries())
          && left.getSegmentRewards().size() == right.getSegmentRewards().size()) {
        sameBoundaries++;
        double[] x = doubles(left.getSegmentRewards());
        double[] y = doubles(right.getSegmentRewards());
        segmentPairs.add(x, y);
        if (left.getBoundaryValues().size() == right.getBoundaryValues().size()) {
          valuePairs.add(doubles(left.getBoundaryValues()), doubles(right.getBoundaryValues()));
        }
        double rho = RankCorrelation.spearman(x, y);
        if (!Double.isNaN(rho)) {
          spearmanSum += rho;
          recordsWithSpearman++;
        }
      }
      if (left.getTokenAdvantages().size() == right.getTokenAdvantages().size()) {
        tokenPairs.add(doubles(left.getTokenAdvantages()), doubles(right.getTokenAdvantages()));
      }
    }
    return new CreditComparison(
        a.size(),
        b.size(),
        a.size() - byIdA.size(),
        b.size() - byIdB.size(),
        matched,
        byIdA.size() - matched,
        byIdB.size() - matched,
        sameBoundaries,
        segmentPairs.size(),
        segmentPairs.spearman(),
        recordsWithSpearman == 0 ? Double.NaN : spearmanSum / recordsWithSpearman,
        recordsWithSpearman,
        segmentPairs.signAgreement(),
        segmentPairs.meanAbsDifference(),
        segmentPairs.maxAbsDifference(),
        valuePairs.maxAbsDifference(),
        tokenPairs.size(),
        tokenPairs.spearman(),
        tokenPairs.signAgreement(),
        tokenPairs.meanAbsDifference(),
        tokenPairs.maxAbsDifference(),
        methods(byIdA),
        methods(byIdB));
  }

  /** The report, one figure per line. */
  public List<String> lines() {
    return List.of(
        String.format(
            "records          A %d (%d duplicate ids), B %d (%d duplicate ids)",
            recordsA, duplicatesA, recordsB, duplicatesB),
        String.format(
            "rollouts         both %d, only in A %d, only in B %d", matched, onlyA, onlyB),
        String.format("credit           A %s%n                 B %s", methodsA, methodsB),
        String.format(
            "segments         %d records with the same boundaries, %d segment pairs",
            sameBoundaries, segments),
        String.format(
            "  spearman       pooled %.4f, mean per record %.4f (%d records)",
            segmentSpearman, meanRecordSpearman, recordsWithSpearman),
        String.format("  same sign      %.4f", segmentSignAgreement),
        String.format(
            "  |A - B|        mean %.6f, max %.3g",
            segmentMeanAbsDifference, segmentMaxAbsDifference),
        String.format("values           |A - B| max %.3g", valueMaxAbsDifference),
        String.format("tokens           %d advantage pairs", tokens),
        String.format("  spearman       pooled %.4f", tokenSpearman),
        String.format("  same sign      %.4f", tokenSignAgreement),
        String.format(
            "  |A - B|        mean %.6f, max %.3g", tokenMeanAbsDifference, tokenMaxAbsDifference));
  }

  private static Map<String, CreditedRollout> byId(List<CreditedRollout> records) {
    Map<String, CreditedRollout> byId = new LinkedHashMap<>();
    for (CreditedRollout record : records) {
      byId.put(record.getRolloutId(), record);
    }
    return byId;
  }

  private static Map<String, Long> methods(Map<String, CreditedRollout> records) {
    Map<String, Long> methods = new TreeMap<>();
    for (CreditedRollout record : records.values()) {
      methods.merge(
          record.getCreditMethod()
              + "/"
              + record.getValueEstimator()
              + "/"
              + record.getSegmentation(),
          1L,
          Long::sum);
    }
    return methods;
  }

  private static double[] doubles(List<? extends Number> values) {
    double[] array = new double[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i).doubleValue();
    }
    return array;
  }

  /** Paired values, pooled over records. */
  private static final class Pairs {
    private double[] x = new double[64];
    private double[] y = new double[64];
    private int size;

    void add(double[] left, double[] right) {
      for (int i = 0; i < left.length; i++) {
        if (size == x.length) {
          x = java.util.Arrays.copyOf(x, 2 * size);
          y = java.util.Arrays.copyOf(y, 2 * size);
        }
        x[size] = left[i];
        y[size] = right[i];
        size++;
      }
    }

    long size() {
      return size;
    }

    double spearman() {
      return RankCorrelation.spearman(
          java.util.Arrays.copyOf(x, size), java.util.Arrays.copyOf(y, size));
    }

    double signAgreement() {
      if (size == 0) {
        return Double.NaN;
      }
      long same = 0;
      for (int i = 0; i < size; i++) {
        same += Math.signum(x[i]) == Math.signum(y[i]) ? 1 : 0;
      }
      return (double) same / size;
    }

    double meanAbsDifference() {
      if (size == 0) {
        return Double.NaN;
      }
      double sum = 0;
      for (int i = 0; i < size; i++) {
        sum += Math.abs(x[i] - y[i]);
      }
      return sum / size;
    }

    double maxAbsDifference() {
      double max = size == 0 ? Double.NaN : 0;
      for (int i = 0; i < size; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
      return max;
    }
  }
}
