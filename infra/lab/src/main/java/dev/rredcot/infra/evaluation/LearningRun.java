package dev.rredcot.infra.evaluation;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.policy.NonFiniteStepException;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.value.ModelSettings;
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
 * sampling ({@link Policy#generate}), the pipeline's {@link GroupCreditor} (hybrid segmentation and
 * the arm's value source for the RREDCoT rules; the groups of a step credited in one call, so their
 * values share policy calls) and {@link Policy#trainStep}; the advantage rule is pluggable, so
 * plain GRPO is the {@code grpo} arm of the same loop. Groups whose rewards are all equal carry no
 * signal for GRPO and the tilt (the creditor gives them advantage 0) and are left out for those;
 * the value rules keep them. A trace the creditor refuses is left out and counted by reason, as the
 * pipeline dead-letters it.
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
      LearningArm arm,
      int seed,
      List<CurvePoint> points,
      Map<String, Integer> refusedTraces,
      long scoringForwardTokens,
      double scoringCallsPerStep,
      double wallSeconds,
      double trainingSecondsPerStep,
      double meanAbsTokenAdvantage,
      double trainedRolloutShare,
      double meanGradNorm,
      double clippedStepShare) {}

  /**
   * Trains {@code policy} in place with {@code arm} and seed {@code seed}, starting from the
   * curve's first point {@code initial} (the starting policy's held-out figures, the same for every
   * run, so measured once). The step time counts sampling, credit and the optimiser step, not the
   * held-out evaluation.
   */
  Curve run(Policy policy, LearningArm arm, int seed, CurvePoint initial, ProgressLog progress) {
    long start = System.nanoTime();
    List<CurvePoint> points = new ArrayList<>();
    Map<String, Integer> refused = new TreeMap<>();
    points.add(initial);
    GroupCreditor creditor = creditor(arm);
    PolicyUpdateOptions trainOptions =
        PolicyUpdateOptions.builder()
            .optLearningRate(options.learningRate())
            .optAdvantageScale(arm.scale())
            .build();
    long scoringTokens = 0;
    long[] scoringCalls = {0};
    ValueScorer.BatchObserver countCalls = (traces, tokens, ms, forward) -> scoringCalls[0]++;
    int rolloutsPerStep = options.promptsPerStep() * options.groupSize();
    long trainingNanos = 0;
    double absAdvantageSum = 0;
    long trainedRollouts = 0;
    double gradNormSum = 0;
    int clippedSteps = 0;
    for (int step = 1; step <= options.steps(); step++) {
      long stepStart = System.nanoTime();
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
      List<List<Rollout>> groups = new ArrayList<>();
      for (int p = 0; p < problems.size(); p++) {
        List<Sample> groupSamples =
            samples.subList(p * options.groupSize(), (p + 1) * options.groupSize());
        groups.add(HeldOutRollouts.rollouts(policy, task, problems.get(p), groupSamples, seed));
      }
      long before = policy.forwardTokens();
      List<TrainExample> batch =
          examples(policy, groups, creditor, arm.rule(), refused, countCalls);
      scoringTokens += policy.forwardTokens() - before;
      if (!batch.isEmpty()) {
        try {
          double gradNorm = policy.trainStep(batch, trainOptions).gradNorm();
          // The step scales the batch by the arm's rule (trainOptions); measure what it trains on.
          absAdvantageSum += meanAbsTokenAdvantage(arm.scale().apply(batch));
          trainedRollouts += batch.size();
          gradNormSum += gradNorm;
          if (gradNorm > trainOptions.maxGradNorm()) {
            clippedSteps++;
          }
        } catch (NonFiniteStepException e) {
          // As the trainer does: the step is refused, the policy stays, and the batch's traces
          // count as refused under the step's reason; the run goes on.
          refused.merge(e.reasonLabel(), batch.size(), Integer::sum);
          LOG.warn(
              "{} seed {} step {}: {} traces refused ({}): {}",
              arm.name(),
              seed,
              step,
              batch.size(),
              e.reasonLabel(),
              e.getMessage());
        }
      }
      trainingNanos += System.nanoTime() - stepStart;
      progress.advance(1);
      if (step % options.evaluateEverySteps() == 0 || step == options.steps()) {
        CurvePoint point = point((long) step * rolloutsPerStep, evaluator.evaluate(policy));
        points.add(point);
        LOG.info(
            "{} seed {}: {} rollouts, held-out sampled accuracy {}",
            arm.name(),
            seed,
            point.rollouts(),
            String.format("%.3f", point.sampledAccuracy()));
      }
    }
    return new Curve(
        arm,
        seed,
        points,
        refused,
        scoringTokens,
        (double) scoringCalls[0] / options.steps(),
        (System.nanoTime() - start) / 1e9,
        trainingNanos / 1e9 / options.steps(),
        absAdvantageSum / options.steps(),
        (double) trainedRollouts / ((long) options.steps() * rolloutsPerStep),
        gradNormSum / options.steps(),
        (double) clippedSteps / options.steps());
  }

  /**
   * Mean |advantage| over the batch's trace tokens: the scale of the step, since the objective
   * averages over every token of the batch (a step with no batch counts 0). Rules whose advantages
   * are smaller, or which train on more tokens that carry little advantage, take smaller steps at
   * the same learning rate.
   */
  static double meanAbsTokenAdvantage(List<TrainExample> batch) {
    double sum = 0;
    long tokens = 0;
    for (TrainExample example : batch) {
      for (float advantage : example.advantages()) {
        sum += Math.abs(advantage);
      }
      tokens += example.advantages().length;
    }
    return tokens == 0 ? 0 : sum / tokens;
  }

  /**
   * GRPO as the pipeline's {@code --credit=grpo} (one segment, group-mean baseline); the RREDCoT
   * rules with hybrid segmentation and the arm's value estimator.
   */
  private GroupCreditor creditor(LearningArm arm) {
    GroupCreditor.Builder builder =
        GroupCreditor.builder()
            .optAdvantages(
                new TokenAdvantages.Settings(
                    arm.rule(),
                    options.advantageEpsilon(),
                    options.reweightStrength(),
                    options.valueScale(),
                    options.grpoMix()));
    if (!arm.values().needsModel()) {
      return builder.build();
    }
    return builder
        .optSegmentation(CreditEvaluation.hybrid(options.targetSegments()))
        .optValueEstimator(arm.values().estimator())
        .optModel(
            arm.values()
                .applyTo(ModelSettings.builder().setCheckpointDir(checkpointDir))
                .optMcMaxTokens(options.maxTokens())
                .build())
        .build();
  }

  /** The held-out figures of {@code policy} before any training. */
  CurvePoint initialPoint(Policy policy) {
    return point(0, evaluator.evaluate(policy));
  }

  private static CurvePoint point(long rollouts, EvaluationResult result) {
    return new CurvePoint(rollouts, result.sampledAccuracy(), result.greedyAccuracy());
  }

  /**
   * Training examples of a step's groups from the creditor, group after group, all credited in one
   * call; a group is left out when it has no signal for the rule (every reward equal under a rule
   * that reads no values there: the creditor would give every token advantage 0, so scoring it
   * would be wasted). The value rules keep such groups: values can still tell a doomed move from a
   * safe one inside an all-wrong group.
   */
  private static List<TrainExample> examples(
      Policy policy,
      List<List<Rollout>> groups,
      GroupCreditor creditor,
      AdvantageRule rule,
      Map<String, Integer> refused,
      ValueScorer.BatchObserver observer) {
    List<TraceGroup> credited = new ArrayList<>();
    for (List<Rollout> rollouts : groups) {
      if (rollouts.isEmpty()) {
        continue;
      }
      Rollout first = rollouts.get(0);
      TraceGroup group = TraceGroup.of(first.getGroupId(), first.getGroupSize(), true, rollouts);
      if (group.statistics().allEqual() && !rule.usesValuesInEqualGroups()) {
        continue;
      }
      credited.add(group);
    }
    List<TrainExample> examples = new ArrayList<>();
    if (credited.isEmpty()) {
      return examples;
    }
    for (List<CreditedTrace> group : creditor.credit(policy, credited, observer)) {
      for (CreditedTrace trace : group) {
        if (!trace.succeeded()) {
          refused.merge(trace.failure().reason(), 1, Integer::sum);
          continue;
        }
        examples.add(example(trace.trace().rollout(), trace.advantages()));
      }
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
