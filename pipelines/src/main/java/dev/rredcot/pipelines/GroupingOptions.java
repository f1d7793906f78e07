package dev.rredcot.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How long the job waits for the samples of a GRPO group, and how many groups it holds open. */
public interface GroupingOptions extends PipelineOptions {
  @Description(
      "Processing time (ms) after a group's first rollout at which an incomplete group is"
          + " credited with the samples that arrived.")
  @Default.Long(60_000)
  long getGroupTimeoutMs();

  void setGroupTimeoutMs(long value);

  @Description(
      "Processing time (ms) a credited group's id is remembered; rollouts for it in that time are"
          + " dead-lettered as late-rollout, later ones start a new group.")
  @Default.Long(600_000)
  long getEmittedMarkerTtlMs();

  void setEmittedMarkerTtlMs(long value);

  @Description(
      "Most groups the job holds open at once (collecting members); a rollout that would open one"
          + " more is dead-lettered as too-many-open-groups, while members of open groups are"
          + " still taken. Bounds grouping state under a flood of distinct group ids.")
  @Default.Long(10_000)
  long getMaxOpenGroups();

  void setMaxOpenGroups(long value);
}
