package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.CreditStep;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Computes per-token advantages for every trace of a group with {@link GroupCreditor#advantages}
 * ({@link TokenAdvantages}), using the group statistics {@link
 * dev.rredcot.pipelines.group.GroupRollouts} attached, and emits one {@link CreditedRollout} per
 * trace, with the number of the group's traces that were credited ({@code creditedCount}: the group
 * as it arrived less every trace an earlier stage or this one dead-lettered). Non-finite advantages
 * become dead letters ({@code non-finite-advantage}), and so does a trace whose credited record
 * would not fit in one message of the output topic ({@value WriteRecords#RECORD_TOO_LARGE}, with
 * the rollout's bytes): that is decided here, before {@code creditedCount} is set, because a record
 * the Kafka sink refused after it was counted would leave its group waiting at the trainer for a
 * member that never comes.
 */
public final class ComputeAdvantages
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<CreditedRollout>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = CreditStep.ADVANTAGES.stage();

  static final TupleTag<CreditedRollout> CREDITED = new TupleTag<CreditedRollout>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final TokenAdvantages.Settings settings;
  private final int maxMessageBytes;

  private ComputeAdvantages(TokenAdvantages.Settings settings, int maxMessageBytes) {
    this.settings = settings;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Advantages under {@code settings}, for a topic of {@link WriteRecords}' default size. */
  public static ComputeAdvantages of(TokenAdvantages.Settings settings) {
    return of(settings, WriteRecords.DEFAULT_MAX_MESSAGE_BYTES);
  }

  /**
   * Advantages under {@code settings}; a credited record (keyed by its group id, as the job writes
   * it) that would not fit in a message of {@code maxMessageBytes} is a dead letter.
   */
  public static ComputeAdvantages of(TokenAdvantages.Settings settings, int maxMessageBytes) {
    return new ComputeAdvantages(settings, maxMessageBytes);
  }

  @Override
  public WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    PCollectionTuple credited =
        groups.apply(
            "AssignTokenAdvantages",
            ParDo.of(new AssignTokenAdvantagesFn(settings, maxMessageBytes))
                .withOutputTags(CREDITED, TupleTagList.of(FAILED)));
    credited.get(CREDITED).setCoder(AvroCoder.of(CreditedRollout.class));
    credited.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(credited, CREDITED, FAILED);
  }

  /** Emits the credited rollouts of one group. */
  static final class AssignTokenAdvantagesFn extends DoFn<TraceGroup, CreditedRollout> {
    private static final long serialVersionUID = 1L;
    private final TokenAdvantages.Settings settings;
    private final int maxMessageBytes;
    private final Counter creditedRollouts = StageMetrics.counter(StageMetrics.ROLLOUTS_CREDITED);
    private transient GroupCreditor creditor;
    private transient RecordCodec<CreditedRollout> codec;

    AssignTokenAdvantagesFn(TokenAdvantages.Settings settings, int maxMessageBytes) {
      this.settings = settings;
      this.maxMessageBytes = maxMessageBytes;
    }

    @Setup
    public void setup() {
      creditor = GroupCreditor.builder().optAdvantages(settings).build();
      codec = RecordCodec.of(CreditedRollout.class);
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, group.traces().size());
      // Every trace's fate first: the credited records carry how many members of their group were
      // credited, so the trainer completes the group at that count and never waits for a trace
      // that became a dead letter here or in an earlier stage, or that is too large to write.
      List<TraceCredit> traces = group.traces();
      // The count a record is sized with: no count can be larger, and an int's encoding does not
      // shrink as it grows, so a record that fits with it fits with the final count.
      int largestCount = traces.size();
      List<CreditedRollout> records = new ArrayList<>();
      for (TraceCredit trace : traces) {
        long startNanos = System.nanoTime();
        CreditedTrace result = creditor.advantages(group.statistics(), trace);
        double advantageMs = (System.nanoTime() - startNanos) / 1e6;
        if (!result.succeeded()) {
          out.get(FAILED).output(CreditDeadLetters.of(trace.rollout(), result.failure()));
          records.add(null);
          continue;
        }
        Map<String, Double> timings = new LinkedHashMap<>(trace.timingsMs());
        timings.put("advantage", advantageMs);
        CreditedRollout record =
            toCredited(group, trace, result.advantages(), largestCount, timings);
        Optional<String> oversize = oversize(record);
        if (oversize.isPresent()) {
          out.get(FAILED)
              .output(
                  DeadLetters.ofRollout(
                      trace.rollout(),
                      STAGE,
                      WriteRecords.RECORD_TOO_LARGE,
                      IllegalArgumentException.class.getName(),
                      oversize.get()));
          records.add(null);
          continue;
        }
        records.add(record);
      }
      int creditedCount = (int) records.stream().filter(Objects::nonNull).count();
      for (int i = 0; i < records.size(); i++) {
        CreditedRollout record = records.get(i);
        if (record == null) {
          continue;
        }
        record.setCreditedCount(creditedCount);
        creditedRollouts.inc();
        StageMetrics.creditLatency(
            System.currentTimeMillis() - traces.get(i).rollout().getCreatedAtMs().toEpochMilli());
        StageMetrics.out(STAGE, 1);
        out.get(CREDITED).output(record);
      }
    }

    /** Why {@code record} would not fit in one message of the output topic, if it would not. */
    private Optional<String> oversize(CreditedRollout record) {
      int keyBytes = record.getGroupId().getBytes(StandardCharsets.UTF_8).length;
      int valueBytes = codec.encode(record).length;
      if (WriteRecords.fits(keyBytes, valueBytes, maxMessageBytes)) {
        return Optional.empty();
      }
      return Optional.of(
          "the credited record of rollout "
              + record.getRolloutId()
              + " has "
              + valueBytes
              + " bytes (key "
              + keyBytes
              + " bytes), more than fits in a message of "
              + maxMessageBytes
              + " bytes (--max-message-bytes); the rest of group "
              + record.getGroupId()
              + " is credited without it");
    }

    private CreditedRollout toCredited(
        TraceGroup group,
        TraceCredit trace,
        float[] advantages,
        int creditedCount,
        Map<String, Double> timings) {
      Rollout rollout = trace.rollout();
      return CreditedRollout.newBuilder()
          .setRolloutId(rollout.getRolloutId())
          .setPromptId(rollout.getPromptId())
          .setGroupId(rollout.getGroupId())
          .setSampleIndex(rollout.getSampleIndex())
          .setGroupSize(group.groupSize())
          .setGroupCount(group.statistics().count())
          .setCreditedCount(creditedCount)
          .setGroupComplete(group.complete())
          .setPolicyVersion(rollout.getPolicyVersion())
          .setScoringPolicyVersion(trace.scoringPolicyVersion())
          .setPromptText(rollout.getPromptText())
          .setTokenIds(rollout.getTokenIds())
          .setText(rollout.getText())
          .setLogProbs(rollout.getLogProbs())
          .setReward(rollout.getReward())
          .setCreditMethod(settings.rule().optionValue())
          .setValueEstimator(trace.valueEstimator())
          .setSegmentation(trace.segmentation())
          .setSegmentBoundaries(ints(trace.boundaries()))
          .setBoundaryValues(doubles(trace.boundaryValues()))
          .setSegmentRewards(doubles(trace.segmentRewards()))
          .setTokenAdvantages(floats(advantages))
          .setGroupMean(group.statistics().mean())
          .setGroupStd(group.statistics().std())
          .setCreatedAtMs(rollout.getCreatedAtMs())
          .setCreditedAtMs(Instant.ofEpochMilli(System.currentTimeMillis()))
          .setTimingsMs(new LinkedHashMap<>(timings))
          .build();
    }

    private static List<Integer> ints(int[] values) {
      List<Integer> list = new ArrayList<>(values.length);
      for (int value : values) {
        list.add(value);
      }
      return list;
    }

    private static List<Double> doubles(double[] values) {
      List<Double> list = new ArrayList<>(values.length);
      for (double value : values) {
        list.add(value);
      }
      return list;
    }

    private static List<Float> floats(float[] values) {
      List<Float> list = new ArrayList<>(values.length);
      for (float value : values) {
        list.add(value);
      }
      return list;
    }
  }
}
