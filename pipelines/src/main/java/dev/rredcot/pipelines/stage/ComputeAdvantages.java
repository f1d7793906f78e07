package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.CreditStep;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * become dead letters ({@code non-finite-advantage}).
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

  private ComputeAdvantages(TokenAdvantages.Settings settings) {
    this.settings = settings;
  }

  public static ComputeAdvantages of(TokenAdvantages.Settings settings) {
    return new ComputeAdvantages(settings);
  }

  @Override
  public WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    PCollectionTuple credited =
        groups.apply(
            "AssignTokenAdvantages",
            ParDo.of(new AssignTokenAdvantagesFn(settings))
                .withOutputTags(CREDITED, TupleTagList.of(FAILED)));
    credited.get(CREDITED).setCoder(AvroCoder.of(CreditedRollout.class));
    credited.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(credited, CREDITED, FAILED);
  }

  /** Emits the credited rollouts of one group. */
  static final class AssignTokenAdvantagesFn extends DoFn<TraceGroup, CreditedRollout> {
    private static final long serialVersionUID = 1L;
    private final TokenAdvantages.Settings settings;
    private final Counter creditedRollouts = StageMetrics.counter(StageMetrics.ROLLOUTS_CREDITED);
    private transient GroupCreditor creditor;

    AssignTokenAdvantagesFn(TokenAdvantages.Settings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      creditor = GroupCreditor.builder().optAdvantages(settings).build();
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, group.traces().size());
      // Every trace's fate first: the credited records carry how many members of their group were
      // credited, so the trainer completes the group at that count and never waits for a trace
      // that became a dead letter here or in an earlier stage.
      List<CreditedTrace> credited = new ArrayList<>();
      List<Double> advantageMs = new ArrayList<>();
      int creditedCount = 0;
      for (TraceCredit trace : group.traces()) {
        long startNanos = System.nanoTime();
        CreditedTrace result = creditor.advantages(group.statistics(), trace);
        advantageMs.add((System.nanoTime() - startNanos) / 1e6);
        credited.add(result);
        if (result.succeeded()) {
          creditedCount++;
        }
      }
      for (int i = 0; i < credited.size(); i++) {
        CreditedTrace result = credited.get(i);
        TraceCredit trace = group.traces().get(i);
        if (!result.succeeded()) {
          out.get(FAILED).output(CreditDeadLetters.of(trace.rollout(), result.failure()));
          continue;
        }
        Map<String, Double> timings = new LinkedHashMap<>(trace.timingsMs());
        timings.put("advantage", advantageMs.get(i));
        creditedRollouts.inc();
        StageMetrics.creditLatency(
            System.currentTimeMillis() - trace.rollout().getCreatedAtMs().toEpochMilli());
        StageMetrics.out(STAGE, 1);
        out.get(CREDITED)
            .output(toCredited(group, trace, result.advantages(), creditedCount, timings));
      }
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
