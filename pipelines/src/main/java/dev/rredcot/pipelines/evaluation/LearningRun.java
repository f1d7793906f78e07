package dev.rredcot.pipelines.evaluation;

import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.GenerationOptions;
import dev.rredcot.model.policy.GenerationRequest;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.Sample;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainOptions;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.trainer.GroupStatistics;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.redistribute.RewardRedistribution;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run of the learning evaluation: in-process (no Kafka), through the stages' own code:
 * sampling ({@link Policy#generate}), {@link TraceSegmentation} ({@code Segmenter}), {@link
 * ValueScorer} with the answer estimator, {@link RewardRedistribution}, {@link TokenAdvantages} and
 * {@link Policy#trainStep}. Its structure follows model-worker's {@code InProcessGrpoLoop}, whose
 * step is GRPO-only, so the advantage rule is pluggable here. Groups whose rewards are all equal
 * carry no signal for any rule (GRPO's advantage is 0 and the dense rule would divide by ε) and are
 * left out, as in {@code InProcessGrpoLoop}. A trace the value scorer refuses is left out and
 * counted, as the pipeline dead-letters it.
 */
final class LearningRun {
  private static final Logger LOG = LoggerFactory.getLogger(LearningRun.class);

  /** Seeds of training prompts start here (disjoint from held-out seeds, which start at 2^50). */
  static final long FIRST_TRAINING_SEED = 1L << 30;

  private final LearningEvaluationOptions options;
  private final TaskFamily task;
  private final HeldOutEvaluator evaluator;
  private final String checkpointDir;

  LearningRun(
      LearningEvaluationOptions options,
      TaskFamily task,
      HeldOutEvaluator evaluator,
      String checkpointDir) {
    this.options = options;
    this.task = task;
    this.evaluator = evaluator;
    this.checkpointDir = checkpointDir;
  }

  /** One point of a learning curve. */
  record CurvePoint(long rollouts, double sampledAccuracy, double greedyAccuracy) {}

  /** A run's curve and counters. */
  record Curve(
      AdvantageRule method,
      int seed,
      List<CurvePoint> points,
      Map<String, Integer> refusedTraces,
      long scoringForwardTokens,
      double wallSeconds) {}

  /** Trains {@code policy} in place with {@code rule} and seed {@code seed}. */
  Curve run(Policy policy, AdvantageRule rule, int seed, ProgressLog progress) {
    long start = System.nanoTime();
    List<CurvePoint> points = new ArrayList<>();
    Map<String, Integer> refused = new TreeMap<>();
    points.add(point(0, evaluator.evaluate(policy)));
    TokenAdvantages.Settings advantageSettings =
        new TokenAdvantages.Settings(rule, options.advantageEpsilon(), options.reweightStrength());
    SegmentationSettings segmentation = CreditEvaluation.hybrid(options.targetSegments());
    ValueScorer scorer =
        new ValueScorer(
            ValueEstimator.ANSWER, ModelSettings.builder().setCheckpointDir(checkpointDir).build());
    TrainOptions trainOptions =
        TrainOptions.builder().optLearningRate(options.learningRate()).build();
    long scoringTokens = 0;
    int rolloutsPerStep = options.promptsPerStep() * options.groupSize();
    for (int step = 1; step <= options.steps(); step++) {
      List<Problem> problems = new ArrayList<>();
      List<GenerationRequest> requests = new ArrayList<>();
      for (int p = 0; p < options.promptsPerStep(); p++) {
        Problem problem =
            task.generate(
                FIRST_TRAINING_SEED
                    + seed * 10_000_000L
                    + (long) (step - 1) * options.promptsPerStep()
                    + p);
        problems.add(problem);
        for (int g = 0; g < options.groupSize(); g++) {
          requests.add(GenerationRequest.of(problem.prompt()));
        }
      }
      List<Sample> samples =
          policy.generate(
              requests,
              GenerationOptions.builder()
                  .optTemperature(1.0)
                  .optMaxTokens(options.maxTokens())
                  .optSeed(seed * 1_000_003L + step)
                  .optAnswerCue(task.answerCue())
                  .build());
      List<TrainExample> batch = new ArrayList<>();
      for (int p = 0; p < problems.size(); p++) {
        List<Sample> groupSamples =
            samples.subList(p * options.groupSize(), (p + 1) * options.groupSize());
        List<Rollout> rollouts =
            HeldOutRollouts.rollouts(policy, task, problems.get(p), groupSamples, seed);
        long before = policy.forwardTokens();
        batch.addAll(
            examples(policy, rollouts, rule, advantageSettings, segmentation, scorer, refused));
        scoringTokens += policy.forwardTokens() - before;
      }
      if (!batch.isEmpty()) {
        policy.trainStep(batch, trainOptions);
      }
      progress.advance(1);
      if (step % options.evaluateEverySteps() == 0 || step == options.steps()) {
        CurvePoint point = point((long) step * rolloutsPerStep, evaluator.evaluate(policy));
        points.add(point);
        LOG.info(
            "{} seed {}: {} rollouts, held-out sampled accuracy {}",
            rule.optionValue(),
            seed,
            point.rollouts(),
            String.format("%.3f", point.sampledAccuracy()));
      }
    }
    return new Curve(rule, seed, points, refused, scoringTokens, (System.nanoTime() - start) / 1e9);
  }

  private static CurvePoint point(long rollouts, EvaluationResult result) {
    return new CurvePoint(rollouts, result.sampledAccuracy(), result.greedyAccuracy());
  }

  /** Training examples of one group under {@code rule}; empty when the group has no signal. */
  private static List<TrainExample> examples(
      Policy policy,
      List<Rollout> rollouts,
      AdvantageRule rule,
      TokenAdvantages.Settings settings,
      SegmentationSettings segmentation,
      ValueScorer scorer,
      Map<String, Integer> refused) {
    List<Double> rewards = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      rewards.add(rollout.getReward());
    }
    if (rewards.isEmpty() || rewards.stream().distinct().count() < 2) {
      return List.of();
    }
    GroupStatistics statistics = GroupStatistics.of(rewards);
    List<TrainExample> examples = new ArrayList<>();
    if (rule == AdvantageRule.GRPO) {
      for (Rollout rollout : rollouts) {
        int tokens = rollout.getTokenIds().size();
        double reward = rollout.getReward();
        double[] values = {statistics.mean(), reward};
        float[] advantages =
            TokenAdvantages.compute(
                settings,
                reward,
                statistics,
                new int[] {0, tokens},
                values,
                RewardRedistribution.segmentRewards(values));
        examples.add(example(rollout, advantages));
      }
      return examples;
    }
    List<TraceCredit> segmented = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      segmented.add(
          TraceCredit.of(rollout)
              .withSegments(
                  segmentation.strategy().optionValue(),
                  TraceSegmentation.boundaries(segmentation, rollout),
                  0));
    }
    TraceGroup group =
        new TraceGroup(
            rollouts.get(0).getGroupId(),
            rollouts.get(0).getGroupSize(),
            true,
            statistics,
            segmented);
    for (ValueScorer.Outcome outcome :
        scorer.score(policy, group, segmented, ValueScorer.BatchObserver.NONE)) {
      if (outcome.failure() != null) {
        refused.merge(outcome.failure().reason(), 1, Integer::sum);
        continue;
      }
      Rollout rollout = outcome.trace().rollout();
      double[] values =
          RewardRedistribution.withTerminalReward(outcome.values(), rollout.getReward());
      float[] advantages =
          TokenAdvantages.compute(
              settings,
              rollout.getReward(),
              statistics,
              outcome.trace().boundaries(),
              values,
              RewardRedistribution.segmentRewards(values));
      examples.add(example(rollout, advantages));
    }
    return examples;
  }

  private static TrainExample example(Rollout rollout, float[] advantages) {
    int[] tokens = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
    float[] logProbs = new float[tokens.length];
    for (int t = 0; t < tokens.length; t++) {
      logProbs[t] = rollout.getLogProbs().get(t);
    }
    return new TrainExample(rollout.getPromptText(), tokens, advantages, logProbs);
  }
}
