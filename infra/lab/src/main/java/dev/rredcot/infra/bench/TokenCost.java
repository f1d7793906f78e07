package dev.rredcot.infra.bench;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model tokens per rollout of rredcot and MC-8 values on one set of traces ({@code traces}: e.g.
 * {@code 4_steps} for the policy's traces on 4-step problems).
 */
public record TokenCost(
    String traces,
    int rollouts,
    double meanTraceTokens,
    double segmentsPerRollout,
    double rredcotTokensPerRollout,
    double mc8TokensPerRollout) {
  private static final Logger LOG = LoggerFactory.getLogger(TokenCost.class);

  /** rredcot's tokens as a share of MC-8's. */
  public double rredcotVsMc8() {
    return rredcotTokensPerRollout / mc8TokensPerRollout;
  }

  /**
   * Credits the first {@code groups} groups of {@code rollouts} with the configured estimator and
   * with Monte Carlo (M = 8) and counts the policy's forward tokens of each.
   */
  static TokenCost measure(
      String traces,
      Checkpoint checkpoint,
      CreditSettings settings,
      List<Rollout> rollouts,
      int groups)
      throws IOException {
    List<Rollout> sample =
        rollouts.subList(0, Math.min(rollouts.size(), groups * PipelineBenchmark.GROUP_SIZE));
    try (Policy policy = Policy.load(checkpoint)) {
      long before = policy.forwardTokens();
      new BareCreditLoop(settings, settings.valueEstimator()).credit(policy, sample);
      double rredcot = (policy.forwardTokens() - before) / (double) sample.size();
      before = policy.forwardTokens();
      new BareCreditLoop(settings, ValueEstimator.MC).credit(policy, sample);
      double mc = (policy.forwardTokens() - before) / (double) sample.size();
      GroupCreditor segmentation =
          GroupCreditor.builder().optSegmentation(settings.segmentation()).build();
      double segments = 0;
      for (Rollout rollout : sample) {
        TraceStep segmented = segmentation.segment(TraceCredit.of(rollout), null);
        if (!segmented.succeeded()) {
          throw new IllegalStateException(
              rollout.getRolloutId() + " cannot be segmented: " + segmented.failure());
        }
        segments += segmented.trace().boundaries().length - 1;
      }
      TokenCost cost =
          new TokenCost(
              traces,
              sample.size(),
              PipelineBenchmark.meanTokens(sample),
              segments / sample.size(),
              rredcot,
              mc);
      LOG.info("model tokens per rollout: {}", cost);
      return cost;
    }
  }
}
