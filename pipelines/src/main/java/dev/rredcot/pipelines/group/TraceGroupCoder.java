package dev.rredcot.pipelines.group;

import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Binary coder for {@link TraceGroup}: the rollouts in Avro, the credit fields as Beam coders. */
public final class TraceGroupCoder extends CustomCoder<TraceGroup> {
  private static final long serialVersionUID = 1L;

  private static final Coder<String> STRING = StringUtf8Coder.of();
  private static final Coder<String> OPTIONAL_STRING = NullableCoder.of(StringUtf8Coder.of());
  private static final Coder<Integer> INT = VarIntCoder.of();
  private static final Coder<Double> DOUBLE = DoubleCoder.of();
  private static final Coder<Long> OPTIONAL_LONG = NullableCoder.of(VarLongCoder.of());
  private static final Coder<List<Integer>> OPTIONAL_INTS =
      NullableCoder.of(ListCoder.of(VarIntCoder.of()));
  private static final Coder<List<Double>> OPTIONAL_DOUBLES =
      NullableCoder.of(ListCoder.of(DoubleCoder.of()));
  private static final Coder<Map<String, Double>> TIMINGS =
      MapCoder.of(StringUtf8Coder.of(), DoubleCoder.of());

  private final Coder<Rollout> rolloutCoder = AvroCoder.of(Rollout.class);

  public static TraceGroupCoder of() {
    return new TraceGroupCoder();
  }

  @Override
  public void encode(TraceGroup group, OutputStream out) throws IOException {
    STRING.encode(group.groupId(), out);
    INT.encode(group.groupSize(), out);
    BooleanCoder.of().encode(group.complete(), out);
    DOUBLE.encode(group.statistics().mean(), out);
    DOUBLE.encode(group.statistics().std(), out);
    INT.encode(group.statistics().count(), out);
    INT.encode(group.traces().size(), out);
    for (TraceCredit trace : group.traces()) {
      rolloutCoder.encode(trace.rollout(), out);
      OPTIONAL_STRING.encode(trace.segmentation(), out);
      OPTIONAL_INTS.encode(toList(trace.boundaries()), out);
      OPTIONAL_STRING.encode(trace.valueEstimator(), out);
      OPTIONAL_DOUBLES.encode(toList(trace.boundaryValues()), out);
      OPTIONAL_DOUBLES.encode(toList(trace.segmentRewards()), out);
      OPTIONAL_LONG.encode(trace.scoringPolicyVersion(), out);
      // Sorted, so that equal groups encode to equal bytes (their structural value).
      TIMINGS.encode(new TreeMap<>(trace.timingsMs()), out);
    }
  }

  @Override
  public TraceGroup decode(InputStream in) throws IOException {
    String groupId = STRING.decode(in);
    int groupSize = INT.decode(in);
    boolean complete = BooleanCoder.of().decode(in);
    GroupStatistics statistics =
        new GroupStatistics(DOUBLE.decode(in), DOUBLE.decode(in), INT.decode(in));
    int count = INT.decode(in);
    List<TraceCredit> traces = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      traces.add(
          new TraceCredit(
              rolloutCoder.decode(in),
              OPTIONAL_STRING.decode(in),
              toIntArray(OPTIONAL_INTS.decode(in)),
              OPTIONAL_STRING.decode(in),
              toDoubleArray(OPTIONAL_DOUBLES.decode(in)),
              toDoubleArray(OPTIONAL_DOUBLES.decode(in)),
              OPTIONAL_LONG.decode(in),
              TIMINGS.decode(in)));
    }
    return new TraceGroup(groupId, groupSize, complete, statistics, traces);
  }

  private static List<Integer> toList(int[] values) {
    if (values == null) {
      return null;
    }
    List<Integer> list = new ArrayList<>(values.length);
    for (int value : values) {
      list.add(value);
    }
    return list;
  }

  private static List<Double> toList(double[] values) {
    if (values == null) {
      return null;
    }
    List<Double> list = new ArrayList<>(values.length);
    for (double value : values) {
      list.add(value);
    }
    return list;
  }

  private static int[] toIntArray(List<Integer> values) {
    return values == null ? null : values.stream().mapToInt(Integer::intValue).toArray();
  }

  private static double[] toDoubleArray(List<Double> values) {
    return values == null ? null : values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  // Stateless: every instance codes alike, and runners compare coders by equality.
  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof TraceGroupCoder;
  }

  @Override
  public int hashCode() {
    return TraceGroupCoder.class.hashCode();
  }
}
