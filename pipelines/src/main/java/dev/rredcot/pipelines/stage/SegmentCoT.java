package dev.rredcot.pipelines.stage;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.pipelines.credit.CreditStep;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.Segmenter;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.PolicyHolder;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts every trace of each group into segments with {@link GroupCreditor#segment} ({@link
 * Segmenter}). A trace that cannot be segmented (e.g. {@code missing-entropies} for an entropy
 * strategy, {@code text-token-mismatch} for keyword cuts) leaves its group as a dead letter; the
 * rest of the group goes on.
 *
 * <p>With model settings, a trace without recorded entropies gets them from the policy ({@code
 * Policy.score}, version chosen as in {@code EstimateValues}) when the strategy needs them; without
 * a model such a trace is dead-lettered as {@code missing-entropies}.
 */
public final class SegmentCoT
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = CreditStep.SEGMENT.stage();

  static final TupleTag<TraceGroup> SEGMENTED = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final SegmentationSettings settings;
  private final @Nullable ModelSettings model;

  private SegmentCoT(SegmentationSettings settings, @Nullable ModelSettings model) {
    this.settings = settings;
    this.model = model;
  }

  /** Segmentation with the entropies the rollouts carry. */
  public static SegmentCoT of(SegmentationSettings settings) {
    return new SegmentCoT(settings, null);
  }

  /** Segmentation that scores missing entropies with the policy when {@code model} is set. */
  public static SegmentCoT of(SegmentationSettings settings, @Nullable ModelSettings model) {
    return new SegmentCoT(settings, model);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    return GroupSteps.apply(
        groups, "SegmentTraces", new SegmentTracesFn(settings, model), SEGMENTED, FAILED);
  }

  /** Segments the traces of one group. */
  static final class SegmentTracesFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentTracesFn.class);
    private final SegmentationSettings settings;
    private final @Nullable ModelSettings model;
    private final Distribution segmentsPerRollout =
        StageMetrics.distribution(StageMetrics.SEGMENTS_PER_ROLLOUT);
    private transient GroupCreditor creditor;
    private transient PolicyHolder holder;

    SegmentTracesFn(SegmentationSettings settings, @Nullable ModelSettings model) {
      this.settings = settings;
      this.model = model;
    }

    @Setup
    public void setup() {
      creditor = GroupCreditor.builder().optSegmentation(settings).optModel(model).build();
      if (model != null && settings.strategy().needsEntropies()) {
        holder = PolicyHolder.acquire(model);
        try (PolicyHolder.Lease lease = holder.lease(Long.MIN_VALUE)) {
          if (!lease.policy().supports(BackendCapability.ENTROPIES)) {
            // Rollouts that carry entropies still segment; the others are missing-entropies.
            LOG.warn(
                "{} gives no entropies: traces without recorded entropies cannot be segmented",
                lease.policy().description());
            holder.release();
            holder = null;
          }
        }
      }
    }

    @Teardown
    public void teardown() {
      if (holder != null) {
        holder.release();
        holder = null;
      }
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, group.traces().size());
      GroupCreditor.EntropySource entropySource =
          holder == null
              ? null
              : rollout -> {
                try (PolicyHolder.Lease lease = holder.lease(rollout.getPolicyVersion())) {
                  return ValueScorer.entropies(lease.policy(), rollout);
                }
              };
      List<TraceStep> steps = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        TraceStep step = creditor.segment(trace, entropySource);
        if (step.succeeded()) {
          segmentsPerRollout.update(step.trace().boundaries().length - 1);
        }
        steps.add(step);
      }
      GroupSteps.emit(STAGE, group, steps, out.get(SEGMENTED)::output, out.get(FAILED)::output);
    }
  }
}
