package dev.rredcot.infra.bench;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.trainer.GroupStatistics;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.redistribute.RewardRedistribution;
import dev.rredcot.pipelines.segment.Segmenter;
import dev.rredcot.pipelines.segment.TokenTexts;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The credit job's computation as a plain in-process loop, with the job's own classes and settings:
 * group by group id, {@link Segmenter}, {@link ValueScorer} (one batch of policy calls per group,
 * as {@code EstimateValues} does), {@link RewardRedistribution} and {@link TokenAdvantages}. No
 * Kafka, no Beam, no Avro: the reference the pipeline's throughput is compared with.
 */
public final class BareCreditLoop {
  private final Segmenter segmenter;
  private final boolean needsText;
  private final String segmentation;
  private final ValueScorer scorer;
  private final TokenAdvantages.Settings advantages;
  private double scoringMs;

  /** A loop with the job's segmentation and advantage settings and {@code estimator} for values. */
  public BareCreditLoop(CreditSettings settings, ValueEstimator estimator) {
    if (settings.model() == null) {
      throw new IllegalArgumentException("the bare loop scores with a policy: set model settings");
    }
    this.segmenter = new Segmenter(settings.segmentation());
    this.needsText = settings.segmentation().strategy().needsText();
    this.segmentation = settings.segmentation().strategy().optionValue();
    this.scorer = new ValueScorer(estimator, settings.model());
    this.advantages = settings.advantages();
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
    int credited = 0;
    for (Map.Entry<String, List<Rollout>> entry : groups.entrySet()) {
      List<TraceCredit> traces = new ArrayList<>();
      List<Double> rewards = new ArrayList<>();
      for (Rollout rollout : entry.getValue()) {
        float[] entropies = new float[rollout.getEntropies().size()];
        for (int t = 0; t < entropies.length; t++) {
          entropies[t] = rollout.getEntropies().get(t);
        }
        int[] boundaries =
            segmenter.segment(
                rollout.getTokenIds().size(),
                needsText ? TokenTexts.charPerToken(rollout) : null,
                entropies);
        traces.add(TraceCredit.of(rollout).withSegments(segmentation, boundaries, 0));
        rewards.add(rollout.getReward());
      }
      GroupStatistics statistics = GroupStatistics.of(rewards);
      int groupSize = entry.getValue().get(0).getGroupSize();
      TraceGroup group =
          new TraceGroup(entry.getKey(), groupSize, traces.size() == groupSize, statistics, traces);
      for (ValueScorer.Outcome outcome :
          scorer.score(
              policy,
              group,
              traces,
              (count, tokens, latencyMs, forward) -> scoringMs += latencyMs)) {
        if (outcome.failure() != null) {
          throw new IllegalStateException(
              outcome.trace().rollout().getRolloutId() + ": " + outcome.failure().getMessage());
        }
        double reward = outcome.trace().rollout().getReward();
        double[] values = RewardRedistribution.withTerminalReward(outcome.values(), reward);
        double[] segmentRewards = RewardRedistribution.segmentRewards(values);
        TokenAdvantages.compute(
            advantages, reward, statistics, outcome.trace().boundaries(), values, segmentRewards);
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
