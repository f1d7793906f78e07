package dev.rredcot.pipelines.value;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Attaches state values v_0..v_K to every segmented trace of a group. Only {@link
 * ValueEstimator#NONE} is implemented: the model-based estimators need model-worker's {@code
 * Policy} API, which has not landed yet; {@link #of} rejects them at graph construction so a job
 * never starts with an estimator that would fail every record.
 */
public final class EstimateValues
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "EstimateValues";

  static final TupleTag<TraceGroup> VALUED = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final ValueEstimator estimator;

  private EstimateValues(ValueEstimator estimator) {
    this.estimator = estimator;
  }

  /** Values from {@code estimator}; throws for an estimator that is not available yet. */
  public static EstimateValues of(ValueEstimator estimator) {
    if (estimator.needsPolicy()) {
      throw new UnsupportedOperationException(
          "valueEstimator '"
              + estimator.optionValue()
              + "' needs the policy model, which this build"
              + " does not have yet: use --valueEstimator=none with --segmentation=single");
    }
    return new EstimateValues(estimator);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    PCollectionTuple valued =
        groups.apply(
            "GroupMeanBaseline",
            ParDo.of(new GroupMeanBaselineFn()).withOutputTags(VALUED, TupleTagList.of(FAILED)));
    valued.get(VALUED).setCoder(TraceGroupCoder.of());
    valued.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(valued, VALUED, FAILED);
  }

  /** v_0 = group mean, v_1 = reward, for single-segment traces. */
  static final class GroupMeanBaselineFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      List<TraceCredit> valued = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        long startNanos = System.nanoTime();
        int[] boundaries = trace.boundaries();
        if (boundaries == null || boundaries.length != 2) {
          out.get(FAILED)
              .output(
                  DeadLetters.ofRollout(
                      trace.rollout(),
                      STAGE,
                      "needs-single-segment",
                      IllegalStateException.class.getName(),
                      "valueEstimator none has values only for one segment, trace has "
                          + (boundaries == null ? "no" : String.valueOf(boundaries.length - 1))
                          + " segments"));
          continue;
        }
        double[] values = {group.statistics().mean(), trace.rollout().getReward()};
        valued.add(
            trace.withValues(
                ValueEstimator.NONE.optionValue(),
                values,
                null,
                (System.nanoTime() - startNanos) / 1e6));
      }
      if (!valued.isEmpty()) {
        out.get(VALUED).output(group.withTraces(valued));
      }
    }
  }
}
