package dev.rredcot.pipelines.group;

import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The traces of one GRPO group as emitted by {@link GroupRollouts}, with the reward statistics of
 * every trace that arrived. Later stages may remove traces that fail (they become dead letters);
 * the statistics stay those of the group as it arrived, so one failing trace does not shift the
 * baseline of the others.
 */
@DefaultCoder(TraceGroupCoder.class)
public final class TraceGroup {
  private final String groupId;
  private final int groupSize;
  private final boolean complete;
  private final GroupStatistics statistics;
  private final List<TraceCredit> traces;

  public TraceGroup(
      String groupId,
      int groupSize,
      boolean complete,
      GroupStatistics statistics,
      List<TraceCredit> traces) {
    this.groupId = Objects.requireNonNull(groupId, "groupId");
    this.groupSize = groupSize;
    this.complete = complete;
    this.statistics = Objects.requireNonNull(statistics, "statistics");
    this.traces = List.copyOf(traces);
  }

  /**
   * A group of the rollouts that arrived, ordered by sample index, with no credit yet and the
   * reward statistics of all of them.
   */
  public static TraceGroup of(
      String groupId, int groupSize, boolean complete, List<Rollout> arrived) {
    List<Rollout> ordered = new ArrayList<>(arrived);
    ordered.sort(Comparator.comparingInt(Rollout::getSampleIndex));
    GroupStatistics statistics =
        GroupStatistics.of(ordered.stream().map(Rollout::getReward).collect(Collectors.toList()));
    return new TraceGroup(
        groupId,
        groupSize,
        complete,
        statistics,
        ordered.stream().map(TraceCredit::of).collect(Collectors.toList()));
  }

  public String groupId() {
    return groupId;
  }

  /** The intended group size G. */
  public int groupSize() {
    return groupSize;
  }

  /** False when the group was emitted before all G samples arrived (timeout or end of input). */
  public boolean complete() {
    return complete;
  }

  /** Reward statistics over every sample that arrived. */
  public GroupStatistics statistics() {
    return statistics;
  }

  public List<TraceCredit> traces() {
    return traces;
  }

  /** This group with other traces (same statistics). */
  public TraceGroup withTraces(List<TraceCredit> newTraces) {
    return new TraceGroup(groupId, groupSize, complete, statistics, newTraces);
  }

  /** This group with every trace mapped. */
  public TraceGroup mapTraces(UnaryOperator<TraceCredit> mapping) {
    return withTraces(traces.stream().map(mapping).collect(Collectors.toList()));
  }

  @Override
  public boolean equals(@Nullable Object other) {
    if (!(other instanceof TraceGroup)) {
      return false;
    }
    TraceGroup that = (TraceGroup) other;
    return groupId.equals(that.groupId)
        && groupSize == that.groupSize
        && complete == that.complete
        && statistics.equals(that.statistics)
        && traces.equals(that.traces);
  }

  @Override
  public int hashCode() {
    return Objects.hash(groupId, groupSize, complete, traces.size());
  }

  @Override
  public String toString() {
    return "TraceGroup{"
        + groupId
        + ", "
        + traces.size()
        + "/"
        + groupSize
        + (complete ? "" : " partial")
        + "}";
  }
}
