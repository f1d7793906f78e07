package dev.rredcot.infra.bench;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The credit job's computation as a plain in-process loop: group by group id, then the job's own
 * {@link GroupCreditor} with the job's segmentation and advantage settings, every group of a call
 * credited together (their values in shared policy calls, as {@code EstimateValues} scores the
 * groups of a bundle). No Kafka, no Beam, no Avro: the reference the pipeline's throughput is
 * compared with.
 */
public final class BareCreditLoop {
  private final GroupCreditor creditor;
  private double scoringMs;

  /** A loop with the job's segmentation and advantage settings and {@code estimator} for values. */
  public BareCreditLoop(CreditSettings settings, ValueEstimator estimator) {
    if (settings.model() == null) {
      throw new IllegalArgumentException("the bare loop scores with a policy: set model settings");
    }
    this.creditor =
        GroupCreditor.builder()
            .optSegmentation(settings.segmentation())
            .optValueEstimator(estimator)
            .optModel(settings.model())
            .optAdvantages(settings.advantages())
            .build();
  }

  /**
   * Credits {@code rollouts} with {@code policy}; returns the number of rollouts credited.
   *
   * @throws IllegalStateException when a rollout cannot be credited (the benchmark's rollouts are
   *     all well formed, so a failure is a bug, not a dead letter)
   */
  public int credit(Policy policy, List<Rollout> rollouts) {
    Map<String, List<Rollout>> groups = new LinkedHashMap<>();
    for (Rollout rollout : rollouts) {
      groups.computeIfAbsent(rollout.getGroupId(), id -> new ArrayList<>()).add(rollout);
    }
    List<TraceGroup> traceGroups = new ArrayList<>();
    for (Map.Entry<String, List<Rollout>> entry : groups.entrySet()) {
      int groupSize = entry.getValue().get(0).getGroupSize();
      traceGroups.add(
          TraceGroup.of(
              entry.getKey(), groupSize, entry.getValue().size() == groupSize, entry.getValue()));
    }
    int credited = 0;
    for (List<CreditedTrace> group :
        creditor.credit(
            policy, traceGroups, (count, tokens, latencyMs, forward) -> scoringMs += latencyMs)) {
      for (CreditedTrace trace : group) {
        if (!trace.succeeded()) {
          throw new IllegalStateException(
              trace.trace().rollout().getRolloutId() + ": " + trace.failure());
        }
        credited++;
      }
    }
    return credited;
  }

  /** Wall time spent in policy calls so far, milliseconds. */
  public double scoringMs() {
    return scoringMs;
  }
}
