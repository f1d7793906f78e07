package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * What every group-to-group credit stage does around its own step: apply its DoFn with a main and a
 * dead-letter output, and emit a group's step results — each refused trace a dead letter under the
 * step's stage name, the traces it kept as the group, and no group when it kept none.
 */
final class GroupSteps {
  private GroupSteps() {}

  /**
   * {@code groups} through {@code fn} under {@code name}: the groups {@code fn} emits on {@code
   * kept}, the dead letters on {@code failed}, both with their coders.
   */
  static WithFailures.Result<PCollection<TraceGroup>, DeadLetter> apply(
      PCollection<TraceGroup> groups,
      String name,
      DoFn<TraceGroup, TraceGroup> fn,
      TupleTag<TraceGroup> kept,
      TupleTag<DeadLetter> failed) {
    PCollectionTuple out =
        groups.apply(name, ParDo.of(fn).withOutputTags(kept, TupleTagList.of(failed)));
    out.get(kept).setCoder(TraceGroupCoder.of());
    out.get(failed).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(out, kept, failed);
  }

  /**
   * Emits the results of one step over {@code group}'s traces: a dead letter per refused trace,
   * then the group with the traces the step kept (in the order of {@code steps}), if any; counts
   * the kept traces as the stage's output.
   *
   * @param stage the stage whose output is counted
   * @param group the group the steps ran on
   * @param steps one result per trace the step ran on
   * @param kept receives the group of kept traces
   * @param failed receives each dead letter
   */
  static void emit(
      String stage,
      TraceGroup group,
      List<TraceStep> steps,
      Consumer<TraceGroup> kept,
      Consumer<DeadLetter> failed) {
    List<TraceCredit> survivors = new ArrayList<>();
    for (TraceStep step : steps) {
      if (step.succeeded()) {
        survivors.add(step.trace());
      } else {
        failed.accept(CreditDeadLetters.of(step.trace().rollout(), step.failure()));
      }
    }
    StageMetrics.out(stage, survivors.size());
    if (!survivors.isEmpty()) {
      kept.accept(group.withTraces(survivors));
    }
  }
}
