package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credit fidelity against Monte Carlo (METHOD.md "How it is judged"): samples held-out rollouts
 * from the starting checkpoint, computes Monte Carlo ground-truth values with large M at every
 * segment boundary, scores every credit method on the same rollouts and segments through the
 * pipeline's own code (the segment, values and redistribute steps of {@link GroupCreditor}) and
 * reports correlation with the truth, first-error localisation and cost; then ablates the
 * segmentation for {@code rredcot-answer}. Writes {@code summary.json} and {@code report.html} into
 * the output directory.
 *
 * <p>Methods: {@code rredcot-answer}, {@code rredcot-bank}, {@code mc<M>} for the small M (their
 * samples are independent of the truth's), {@code loo}, {@code gradient} and {@code grpo} (flat:
 * every boundary before the end has the group's mean reward, so only the last segment gets reward).
 * Value correlations use v_0..v_{K−1}: the terminal value is the verified reward for every method
 * after redistribution, and pairing it would credit every method for free.
 *
 * <p>Usage: {@code ./rredcot eval credit --out /tmp/credit --rollouts 60 --mc-truth 64}, or {@code
 * CreditEvaluation.run(CreditEvaluationOptions.builder().setOutDir(dir).build())}.
 */
public final class CreditEvaluation {
  private static final Logger LOG = LoggerFactory.getLogger(CreditEvaluation.class);

  /** Name of the main segmentation in the summary. */
  static final String MAIN_SEGMENTATION = "hybrid";

  private CreditEvaluation() {}

  /**
   * The methods compared, in report order: {@code rredcot-bank} is the bank as the pipeline ships
   * it, beside its variants ({@code bank-calibrated}, {@code bank-calibrated-prior}: its values as
   * those rules lift them; {@code bank-aligned}, {@code bank-spliced}, {@code bank-spliced-loo},
   * see {@link ValueSource}); on a task with an exact oracle also {@code bank+reach} (coverage
   * diagnostic), {@code reach} and {@code reach*mc<M>} for the largest small M.
   */
  public static List<CreditMethod> methods(List<Integer> smallMcSamples, BuiltInTask task) {
    List<CreditMethod> methods = new ArrayList<>();
    methods.add(CreditMethod.of("rredcot-answer", ValueEstimator.ANSWER));
    methods.add(CreditMethod.of("rredcot-bank", "bank"));
    methods.add(
        CreditMethod.calibrated(
            "bank-calibrated", "bank", AdvantageRule.RREDCOT_RUDDER_CALIBRATED));
    methods.add(
        CreditMethod.calibrated(
            "bank-calibrated-prior", "bank", AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR));
    for (String variant : List.of("bank-aligned", "bank-spliced", "bank-spliced-loo")) {
      methods.add(CreditMethod.of(variant, variant));
    }
    if (task.hasExactOracle()) {
      methods.add(CreditMethod.of("bank+reach", "bank+reach"));
    }
    for (int m : smallMcSamples) {
      methods.add(CreditMethod.monteCarlo(m));
    }
    if (task.hasExactOracle()) {
      methods.add(CreditMethod.of("reach", "reach"));
      int largest = smallMcSamples.stream().mapToInt(Integer::intValue).max().orElse(8);
      methods.add(CreditMethod.of("reach*mc" + largest, "reach*mc" + largest));
    }
    methods.add(CreditMethod.of("loo", ValueEstimator.LOO));
    methods.add(CreditMethod.of("gradient", ValueEstimator.GRADIENT));
    methods.add(CreditMethod.grpo());
    return methods;
  }

  /** Runs the evaluation and writes its files. */
  public static CreditEvaluationResult run(CreditEvaluationOptions options) throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(options.outDir());
    Checkpoint checkpoint =
        StartingPolicy.resolve(
            options.checkpointStore(), options.initialPolicyStore(), options.task());
    try (Policy policy = Policy.load(checkpoint)) {
      List<EvaluationTrace> traces =
          HeldOutRollouts.sample(
              policy,
              options.task(),
              options::atLevel,
              options.levels(),
              options.rollouts(),
              options.groupSize(),
              options.maxTokens(),
              Math.max(64, 40 * options.rollouts() / options.levels().size()),
              options.naturalMix(),
              options.seed());
      TaskFamily family = options.task().trained();
      MonteCarloTruth truth =
          new MonteCarloTruth(
              new PolicyContinuations(policy, 1.0, options.maxTokens(), family.answerCue()),
              family,
              options.mcTruthSamples(),
              options.seed());
      SegmentationSettings main = hybrid(options.targetSegments());
      Evaluator evaluator = new Evaluator(policy, checkpoint, truth, options);

      long truthTokensBefore = policy.forwardTokens();
      long truthStart = System.nanoTime();
      ProgressLog truthProgress =
          new ProgressLog(
              LOG,
              "ground truth (M=" + options.mcTruthSamples() + ")",
              traces.size(),
              options.progressIntervalMs());
      GroupCreditor mainSegmentation = GroupCreditor.builder().optSegmentation(main).build();
      for (EvaluationTrace trace : traces) {
        evaluator.truthValues(
            trace, Evaluator.segment(mainSegmentation, trace.rollout()).boundaries());
        truthProgress.advance(1);
      }
      double truthMsPerRollout = (System.nanoTime() - truthStart) / 1e6 / traces.size();
      double truthTokensPerRollout =
          (policy.forwardTokens() - truthTokensBefore) / (double) traces.size();

      Map<String, CreditMetrics> methods = new LinkedHashMap<>();
      List<TraceCreditOutcome> truthOutcomes = new ArrayList<>();
      for (EvaluationTrace trace : traces) {
        truthOutcomes.add(evaluator.truthAsMethod(trace, main));
      }
      CreditMetrics groundTruth =
          CreditMetrics.of(truthOutcomes, options.bootstrapResamples(), options.seed());
      for (CreditMethod method : methods(options.smallMcSamples(), options.task())) {
        List<TraceCreditOutcome> outcomes = evaluator.score(method, main, traces);
        methods.put(
            method.name(),
            CreditMetrics.of(outcomes, options.bootstrapResamples(), options.seed()));
        LOG.info("{}: {}", method.name(), brief(methods.get(method.name())));
      }

      List<EvaluationTrace> ablationTraces = spread(traces, options.ablationRollouts());
      Map<String, CreditMetrics> strategyAblation = new LinkedHashMap<>();
      Map<String, CreditMetrics> targetAblation = new LinkedHashMap<>();
      CreditMethod answer = CreditMethod.of("rredcot-answer", ValueEstimator.ANSWER);
      if (!ablationTraces.isEmpty()) {
        for (Map.Entry<String, SegmentationSettings> variant :
            strategyVariants(options).entrySet()) {
          List<TraceCreditOutcome> outcomes =
              evaluator.score(answer, variant.getValue(), ablationTraces);
          strategyAblation.put(
              variant.getKey(),
              CreditMetrics.of(outcomes, options.bootstrapResamples(), options.seed()));
          LOG.info(
              "ablation {}: {}", variant.getKey(), brief(strategyAblation.get(variant.getKey())));
        }
        for (int target : options.ablationTargets()) {
          List<TraceCreditOutcome> outcomes =
              evaluator.score(answer, hybrid(target), ablationTraces);
          targetAblation.put(
              Integer.toString(target),
              CreditMetrics.of(outcomes, options.bootstrapResamples(), options.seed()));
          LOG.info("ablation hybrid target {}: {}", target, brief(targetAblation.get("" + target)));
        }
      }
      double wallSeconds = (System.nanoTime() - start) / 1e9;
      ObjectNode summary =
          CreditSummary.build(
              options,
              checkpoint,
              traces,
              ablationTraces.size(),
              methods,
              groundTruth,
              truthTokensPerRollout,
              truthMsPerRollout,
              truth.generatedContinuations(),
              strategyAblation,
              targetAblation,
              wallSeconds);
      Path summaryFile = options.outDir().resolve("summary.json");
      Path reportFile = options.outDir().resolve("report.html");
      CreditSummary.write(summary, summaryFile);
      Files.writeString(reportFile, CreditReport.html(summary));
      LOG.info(
          "credit evaluation done in {} s: {}, {}",
          Math.round(wallSeconds),
          summaryFile,
          reportFile);
      return new CreditEvaluationResult(
          summaryFile, reportFile, methods, groundTruth, strategyAblation, targetAblation, summary);
    }
  }

  /** Hybrid segmentation (keyword split, entropy merge) down to {@code target} segments. */
  static SegmentationSettings hybrid(int target) {
    return SegmentationSettings.builder()
        .setStrategy(SegmentationStrategy.HYBRID)
        .optTargetSegments(target)
        .build();
  }

  /** The segmentation strategies of the ablation, at the main target count. */
  static Map<String, SegmentationSettings> strategyVariants(CreditEvaluationOptions options) {
    Map<String, SegmentationSettings> variants = new LinkedHashMap<>();
    for (SegmentationStrategy strategy :
        List.of(
            SegmentationStrategy.KEYWORD,
            SegmentationStrategy.ENTROPY,
            SegmentationStrategy.HYBRID,
            SegmentationStrategy.FIXED)) {
      variants.put(
          strategy.optionValue(),
          SegmentationSettings.builder()
              .setStrategy(strategy)
              .optTargetSegments(options.targetSegments())
              .optFixedTokens(options.fixedTokens())
              .build());
    }
    return variants;
  }

  /** {@code count} traces taken evenly over the list (so every level is represented). */
  static List<EvaluationTrace> spread(List<EvaluationTrace> traces, int count) {
    List<EvaluationTrace> picked = new ArrayList<>();
    if (count <= 0) {
      return picked;
    }
    for (int i = 0; i < count && i < traces.size(); i++) {
      picked.add(traces.get((int) ((long) i * traces.size() / Math.min(count, traces.size()))));
    }
    return picked;
  }

  private static String brief(CreditMetrics metrics) {
    return String.format(
        "value rho %.3f [%.3f, %.3f], reward rho %.3f, first-error %.3f of %d, %.0f tokens and %.1f"
            + " ms per rollout",
        metrics.valueSpearman(),
        metrics.valueSpearmanCi().low(),
        metrics.valueSpearmanCi().high(),
        metrics.rewardSpearman(),
        metrics.firstErrorTop1(),
        metrics.wrongTraces(),
        metrics.modelTokensPerRollout(),
        metrics.wallMsPerRollout());
  }

  /** Scores traces with one method and pairs the result with the ground truth. */
  private static final class Evaluator {
    private final Policy policy;
    private final Checkpoint checkpoint;
    private final MonteCarloTruth truth;
    private final CreditEvaluationOptions options;
    private final Function<int[], String> decoder;

    Evaluator(
        Policy policy,
        Checkpoint checkpoint,
        MonteCarloTruth truth,
        CreditEvaluationOptions options) {
      this.policy = policy;
      this.checkpoint = checkpoint;
      this.truth = truth;
      this.options = options;
      this.decoder = tokens -> policy.tokenizer().decode(tokens);
    }

    double[] truthValues(EvaluationTrace trace, int[] boundaries) {
      Rollout rollout = trace.rollout();
      return truth.values(
          rollout.getRolloutId(),
          rollout.getPromptText(),
          tokens(rollout),
          rollout.getText(),
          rollout.getReferenceAnswer(),
          boundaries,
          decoder);
    }

    /** The ground truth scored as if it were a method (for its own localisation figure). */
    TraceCreditOutcome truthAsMethod(EvaluationTrace trace, SegmentationSettings segmentation) {
      GroupCreditor creditor = GroupCreditor.builder().optSegmentation(segmentation).build();
      TraceCredit segmented = segment(creditor, trace.rollout());
      double[] full = truthValues(trace, segmented.boundaries());
      return outcome(creditor, trace, segmented, withTruth(segmented, full), null, full, 0, 0);
    }

    /**
     * Every trace's credit under {@code method}: the pipeline's segment, values and redistribute
     * steps ({@link GroupCreditor}). Estimators the value stage batches (bank, answer) score the
     * whole groups of all the traces together in one values call, as the pipeline scores the groups
     * of a bundle, and each member of those groups pays an equal share of the call's tokens and
     * time; the others score the evaluated trace alone. The flat GRPO baseline replaces the values
     * step by the group's mean reward at every boundary.
     */
    List<TraceCreditOutcome> score(
        CreditMethod method, SegmentationSettings segmentation, List<EvaluationTrace> traces) {
      GroupCreditor creditor =
          method.flat()
              ? GroupCreditor.builder().optSegmentation(segmentation).build()
              : GroupCreditor.builder()
                  .optSegmentation(segmentation)
                  .optValueEstimator(method.estimator())
                  .optModel(
                      method
                          .values()
                          .applyTo(
                              ModelSettings.builder()
                                  .setCheckpointDir(checkpoint.dir().getParent().toString()))
                          .optMcMaxTokens(options.maxTokens())
                          .optMcTemperature(1.0)
                          .build())
                  .build();
      ProgressLog progress =
          new ProgressLog(
              LOG,
              method.name() + " (" + segmentation.strategy().optionValue() + ")",
              traces.size(),
              options.progressIntervalMs());
      boolean wholeGroups = !method.flat() && method.estimator().scoresGroupsTogether();
      GroupScore groupScores = wholeGroups ? scoreGroups(creditor, traces) : null;
      List<TraceCreditOutcome> outcomes = new ArrayList<>();
      for (EvaluationTrace trace : traces) {
        TraceCredit segmented = segment(creditor, trace.rollout());
        double[] truthValues = truthValues(trace, segmented.boundaries());
        TraceCredit valued;
        String failure = null;
        long tokens;
        double wallMs;
        if (method.flat()) {
          TraceGroup group = group(trace, segmented);
          double[] values = new double[segmented.boundaries().length];
          Arrays.fill(values, group.statistics().mean());
          values[values.length - 1] = trace.rollout().getReward();
          valued = segmented.withValues(method.name(), values, null, 0);
          tokens = 0;
          wallMs = 0;
        } else {
          GroupScore scored = wholeGroups ? groupScores : scoreAlone(creditor, trace, segmented);
          TraceStep step = scored.steps().get(trace.rollout().getRolloutId());
          valued = step.trace();
          failure = step.succeeded() ? null : step.failure().reason();
          if (failure == null && method.calibration() != null) {
            double target =
                TokenAdvantages.calibrationTarget(
                    method.calibration(), group(trace, segmented).statistics());
            valued =
                segmented.withValues(
                    method.name(),
                    TokenAdvantages.calibratedValues(valued.boundaryValues(), target),
                    null,
                    0);
          }
          tokens = scored.tokensPerMember();
          wallMs = scored.wallMsPerMember();
        }
        outcomes.add(
            outcome(creditor, trace, segmented, valued, failure, truthValues, tokens, wallMs));
        progress.advance(1);
      }
      return outcomes;
    }

    /** One values call's results by rollout id, with each member's share of its cost. */
    private record GroupScore(
        Map<String, TraceStep> steps, long tokensPerMember, double wallMsPerMember) {}

    private GroupScore scoreAlone(
        GroupCreditor creditor, EvaluationTrace trace, TraceCredit segmented) {
      return call(creditor, group(trace, segmented), List.of(segmented), 1);
    }

    /**
     * Every member of the groups of {@code traces} segmented, and all of them valued in one call,
     * as the stage values the groups of a bundle; each member pays an equal share of the call's
     * cost.
     */
    private GroupScore scoreGroups(GroupCreditor creditor, List<EvaluationTrace> traces) {
      Map<String, ValueScorer.GroupTraces> groups = new LinkedHashMap<>();
      int members = 0;
      for (EvaluationTrace trace : traces) {
        if (groups.containsKey(trace.rollout().getGroupId())) {
          continue;
        }
        Rollout first = trace.group().get(0);
        Map<String, TraceCredit> segmented = new LinkedHashMap<>();
        for (Rollout member : trace.group()) {
          segmented.put(member.getRolloutId(), segment(creditor, member));
        }
        TraceGroup group =
            TraceGroup.of(first.getGroupId(), first.getGroupSize(), true, trace.group())
                .mapTraces(member -> segmented.get(member.rollout().getRolloutId()));
        groups.put(
            trace.rollout().getGroupId(),
            new ValueScorer.GroupTraces(group, new ArrayList<>(segmented.values())));
        members += segmented.size();
      }
      long tokensBefore = policy.forwardTokens();
      long startNanos = System.nanoTime();
      List<List<TraceStep>> steps =
          creditor.values(policy, new ArrayList<>(groups.values()), ValueScorer.BatchObserver.NONE);
      double wallMs = (System.nanoTime() - startNanos) / 1e6;
      long tokens = policy.forwardTokens() - tokensBefore;
      Map<String, TraceStep> byId = new HashMap<>();
      for (List<TraceStep> groupSteps : steps) {
        for (TraceStep step : groupSteps) {
          byId.put(step.trace().rollout().getRolloutId(), step);
        }
      }
      return new GroupScore(
          byId, Math.round((double) tokens / Math.max(1, members)), wallMs / Math.max(1, members));
    }

    private GroupScore call(
        GroupCreditor creditor, TraceGroup group, List<TraceCredit> traces, int members) {
      long tokensBefore = policy.forwardTokens();
      long startNanos = System.nanoTime();
      List<TraceStep> steps =
          creditor.values(policy, group, traces, ValueScorer.BatchObserver.NONE);
      double wallMs = (System.nanoTime() - startNanos) / 1e6;
      long tokens = policy.forwardTokens() - tokensBefore;
      Map<String, TraceStep> byId = new HashMap<>();
      for (TraceStep step : steps) {
        byId.put(step.trace().rollout().getRolloutId(), step);
      }
      return new GroupScore(byId, Math.round((double) tokens / members), wallMs / members);
    }

    /** The rollout cut by the creditor's segment step; held-out rollouts carry entropies. */
    private static TraceCredit segment(GroupCreditor creditor, Rollout rollout) {
      TraceStep step = creditor.segment(TraceCredit.of(rollout), null);
      if (!step.succeeded()) {
        throw new IllegalStateException(
            "cannot segment held-out rollout " + rollout.getRolloutId() + ": " + step.failure());
      }
      return step.trace();
    }

    /**
     * The trace's group as the values step sees it, with {@code scored} in place of its rollout.
     */
    private static TraceGroup group(EvaluationTrace trace, TraceCredit scored) {
      Rollout rollout = trace.rollout();
      TraceGroup group =
          TraceGroup.of(rollout.getGroupId(), rollout.getGroupSize(), true, trace.group());
      return group.mapTraces(
          member ->
              member.rollout().getRolloutId().equals(rollout.getRolloutId()) ? scored : member);
    }

    private static TraceCredit withTruth(TraceCredit segmented, double[] truthValues) {
      return segmented.withValues("mc-truth", truthValues, null, 0);
    }

    /**
     * Pairs a method's credit with the truth's: both redistributed by the creditor's step (v_K =
     * ζ), values compared on v_0..v_{K−1}.
     */
    private TraceCreditOutcome outcome(
        GroupCreditor creditor,
        EvaluationTrace trace,
        TraceCredit segmented,
        TraceCredit valued,
        String failure,
        double[] truthValues,
        long tokens,
        double wallMs) {
      int[] boundaries = segmented.boundaries();
      int[] charBoundaries = new int[boundaries.length];
      int[] tokenIds = tokens(trace.rollout());
      for (int k = 0; k < boundaries.length; k++) {
        charBoundaries[k] = decoder.apply(Arrays.copyOf(tokenIds, boundaries[k])).length();
      }
      TraceStep truthStep = creditor.redistribute(withTruth(segmented, truthValues));
      if (!truthStep.succeeded()) {
        throw new IllegalStateException(
            "ground truth does not redistribute: " + truthStep.failure());
      }
      double[] truthRewards = truthStep.trace().segmentRewards();
      double[] truthInterior = Arrays.copyOf(truthValues, truthValues.length - 1);
      TraceStep redistributed = failure == null ? creditor.redistribute(valued) : null;
      if (failure == null && !redistributed.succeeded()) {
        failure = redistributed.failure().reason();
      }
      if (failure != null) {
        return new TraceCreditOutcome(
            trace,
            boundaries,
            charBoundaries,
            null,
            truthInterior,
            null,
            truthRewards,
            tokens,
            wallMs,
            failure);
      }
      double[] values = redistributed.trace().boundaryValues();
      return new TraceCreditOutcome(
          trace,
          boundaries,
          charBoundaries,
          Arrays.copyOf(values, values.length - 1),
          truthInterior,
          redistributed.trace().segmentRewards(),
          truthRewards,
          tokens,
          wallMs,
          null);
    }

    private static int[] tokens(Rollout rollout) {
      return rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
    }
  }
}
