package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.credit.CreditStep;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.redistribute.RewardRedistribution;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Turns each trace's state values into segment rewards with {@link GroupCreditor#redistribute}
 * ({@link RewardRedistribution}): v_K is set to the verified reward, r_k = v_k − v_{k−1}, and the
 * telescoping sum is checked on every trace. A trace whose values are missing, of the wrong count,
 * not finite or that fails the check becomes a dead letter with the reason.
 */
public final class RedistributeRewards
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = CreditStep.REDISTRIBUTE.stage();

  static final TupleTag<TraceGroup> REDISTRIBUTED = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  public static RedistributeRewards create() {
    return new RedistributeRewards();
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    return GroupSteps.apply(
        groups, "RedistributeSegmentRewards", new RedistributeFn(), REDISTRIBUTED, FAILED);
  }

  /** Redistributes the rewards of every trace of a group. */
  static final class RedistributeFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;

    private transient GroupCreditor creditor;

    @Setup
    public void setup() {
      creditor = GroupCreditor.builder().build();
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, group.traces().size());
      List<TraceStep> steps = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        steps.add(creditor.redistribute(trace));
      }
      GroupSteps.emit(STAGE, group, steps, out.get(REDISTRIBUTED)::output, out.get(FAILED)::output);
    }
  }
}
