package dev.rredcot.pipelines.credit;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.redistribute.RewardRedistribution;
import dev.rredcot.pipelines.segment.MissingEntropiesException;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.segment.Segmenter;
import dev.rredcot.pipelines.segment.TokenTexts;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimationException;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The credit of GRPO groups (METHOD.md §1–4), in plain Java: {@link #segment} every trace, its
 * state {@link #values}, RUDDER {@link #redistribute} and per-token {@link #advantages}; {@link
 * #credit} composes the four. The pipeline's stages ({@code SegmentCoT}, {@code EstimateValues},
 * {@code RedistributeRewards}, {@code ComputeAdvantages}) each run one step, the benchmark's bare
 * loop and the evaluations run {@link #credit}, so every path computes credit with the same code.
 * {@link #values} and {@link #credit} take several groups at once and score their traces in shared
 * policy calls ({@link ValueScorer#score(PolicyBackend, List, ValueScorer.BatchObserver)}); each
 * group's credit equals its credit alone to float rounding.
 *
 * <p>A step never throws for a bad trace: it returns the trace with a {@link CreditFailure} whose
 * reason is the stage's dead-letter reason, and the other traces of the group go on.
 */
public final class GroupCreditor {
  /** Scores per-token entropies for a rollout the generator recorded none for. */
  @FunctionalInterface
  public interface EntropySource {
    float[] entropies(Rollout rollout) throws ValueEstimationException;
  }

  private final SegmentationSettings segmentation;
  private final Segmenter segmenter;
  private final TaskFamilyRegistry families;
  private final ValueEstimator estimator;
  private final @Nullable ValueScorer scorer;
  private final TokenAdvantages.Settings advantages;

  private GroupCreditor(Builder builder) {
    this.segmentation = builder.segmentation;
    this.segmenter = new Segmenter(builder.segmentation);
    this.families =
        builder.model == null
            ? TaskFamilyRegistry.builtIn()
            : TaskFamilyRegistry.parse(builder.model.taskFamilies());
    this.estimator = builder.estimator;
    this.scorer =
        builder.estimator.needsPolicy() ? new ValueScorer(builder.estimator, builder.model) : null;
    this.advantages = builder.advantages;
  }

  public static Builder builder() {
    return new Builder();
  }

  public SegmentationSettings segmentation() {
    return segmentation;
  }

  public ValueEstimator valueEstimator() {
    return estimator;
  }

  /**
   * Fails unless {@code backend} has what this creditor's value estimator needs ({@link
   * ValueScorer#checkBackend(PolicyBackend)}); stages call it when they start.
   */
  public void checkBackend(PolicyBackend backend) {
    if (scorer != null) {
      scorer.checkBackend(backend);
    }
  }

  public TokenAdvantages.Settings advantageSettings() {
    return advantages;
  }

  /**
   * Step 1: segments one trace with {@link Segmenter}, on per-token texts when the strategy needs
   * them and on the rollout's recorded entropies, or on {@code entropySource}'s when it recorded
   * none and the strategy needs them; keyword cuts follow the line end of the rollout's task family
   * (from the model settings' families, else the built-in ones). Reasons: {@code
   * unknown-task-family}, {@code text-token-mismatch}, the entropy source's ({@code scoring-failed}
   * when it throws unchecked), {@code missing-entropies}, {@code segmentation-failed}.
   */
  public TraceStep segment(TraceCredit trace, @Nullable EntropySource entropySource) {
    long startNanos = System.nanoTime();
    Rollout rollout = trace.rollout();
    SegmentationStrategy strategy = segmentation.strategy();
    List<String> texts;
    String lineEnd = "\n";
    if (strategy.needsText()) {
      try {
        lineEnd = families.resolve(rollout.getTaskFamily()).lineEnd();
      } catch (UnknownTaskFamilyException e) {
        return failed(trace, CreditStep.SEGMENT, "unknown-task-family", e);
      }
    }
    try {
      texts = strategy.needsText() ? TokenTexts.charPerToken(rollout) : null;
    } catch (IllegalArgumentException e) {
      return failed(trace, CreditStep.SEGMENT, "text-token-mismatch", e);
    }
    float[] entropies = recordedEntropies(rollout);
    if (entropies == null && entropySource != null && strategy.needsEntropies()) {
      try {
        entropies = entropySource.entropies(rollout);
      } catch (ValueEstimationException e) {
        return failed(trace, CreditStep.SEGMENT, e.reason(), e);
      } catch (RuntimeException e) {
        return failed(trace, CreditStep.SEGMENT, "scoring-failed", e);
      }
    }
    try {
      int[] boundaries = segmenter.segment(trace.tokenCount(), texts, entropies, lineEnd);
      return TraceStep.done(
          trace.withSegments(
              strategy.optionValue(), boundaries, (System.nanoTime() - startNanos) / 1e6));
    } catch (MissingEntropiesException e) {
      return failed(trace, CreditStep.SEGMENT, "missing-entropies", e);
    } catch (RuntimeException e) {
      return failed(trace, CreditStep.SEGMENT, "segmentation-failed", e);
    }
  }

  /**
   * Step 2: state values v_0..v_K for segmented {@code traces} of {@code group}: {@link #values(
   * PolicyBackend, List, ValueScorer.BatchObserver)} for this one group.
   *
   * @param group the group the traces belong to (the bank estimator reads its other traces)
   * @throws NullPointerException when the estimator needs a policy and {@code policy} is null
   */
  public List<TraceStep> values(
      @Nullable PolicyBackend policy,
      TraceGroup group,
      List<TraceCredit> traces,
      ValueScorer.BatchObserver observer) {
    return values(policy, List.of(new ValueScorer.GroupTraces(group, traces)), observer).get(0);
  }

  /**
   * Step 2 for several groups at once: state values v_0..v_K for the segmented traces of each of
   * {@code groups}. {@link ValueEstimator#NONE} gives the group-mean baseline {@code (mean, ζ)} to
   * single-segment traces ({@code needs-single-segment} otherwise) and needs no policy; every other
   * estimator scores the traces of all the groups together with {@code policy} through {@link
   * ValueScorer#score(PolicyBackend, List, ValueScorer.BatchObserver)} (its reasons; as few calls
   * as its batch limits allow) and records {@code policy.version()}. Each trace's recorded time is
   * its share of the whole scoring time.
   *
   * @return for each group, in order, its traces' steps in the order of the single-group {@link
   *     #values(PolicyBackend, TraceGroup, List, ValueScorer.BatchObserver)}
   * @throws NullPointerException when the estimator needs a policy and {@code policy} is null
   */
  public List<List<TraceStep>> values(
      @Nullable PolicyBackend policy,
      List<ValueScorer.GroupTraces> groups,
      ValueScorer.BatchObserver observer) {
    List<List<TraceStep>> steps = new ArrayList<>();
    if (scorer == null) {
      for (ValueScorer.GroupTraces group : groups) {
        List<TraceStep> groupSteps = new ArrayList<>();
        for (TraceCredit trace : group.traces()) {
          groupSteps.add(groupMeanBaseline(group.group().statistics(), trace));
        }
        steps.add(groupSteps);
      }
      return steps;
    }
    Objects.requireNonNull(policy, () -> estimator.optionValue() + " values need a policy");
    long startNanos = System.nanoTime();
    List<List<ValueScorer.Outcome>> outcomes = scorer.score(policy, groups, observer);
    int traceCount = groups.stream().mapToInt(group -> group.traces().size()).sum();
    double perTraceMs = (System.nanoTime() - startNanos) / 1e6 / Math.max(1, traceCount);
    for (List<ValueScorer.Outcome> groupOutcomes : outcomes) {
      List<TraceStep> groupSteps = new ArrayList<>();
      for (ValueScorer.Outcome outcome : groupOutcomes) {
        if (outcome.failure() != null) {
          groupSteps.add(
              failed(
                  outcome.trace(),
                  CreditStep.VALUES,
                  outcome.failure().reason(),
                  outcome.failure()));
        } else {
          groupSteps.add(
              TraceStep.done(
                  outcome
                      .trace()
                      .withValues(
                          estimator.optionValue(),
                          outcome.values(),
                          policy.version(),
                          perTraceMs)));
        }
      }
      steps.add(groupSteps);
    }
    return steps;
  }

  private static TraceStep groupMeanBaseline(GroupStatistics statistics, TraceCredit trace) {
    long startNanos = System.nanoTime();
    int[] boundaries = trace.boundaries();
    if (boundaries == null || boundaries.length != 2) {
      return TraceStep.failed(
          trace,
          new CreditFailure(
              CreditStep.VALUES,
              "needs-single-segment",
              IllegalStateException.class.getName(),
              "valueEstimator none has values only for one segment, trace has "
                  + (boundaries == null ? "no" : String.valueOf(boundaries.length - 1))
                  + " segments"));
    }
    double[] values = {statistics.mean(), trace.rollout().getReward()};
    return TraceStep.done(
        trace.withValues(
            ValueEstimator.NONE.optionValue(),
            values,
            null,
            (System.nanoTime() - startNanos) / 1e6));
  }

  /**
   * Step 3: RUDDER redistribution with {@link RewardRedistribution}: v_K is set to the verified
   * reward and r_k = v_k − v_{k−1}, checked to telescope. Reasons: {@code value-count-mismatch},
   * {@code too-few-values}, {@code non-finite-value}, {@code telescoping-violated}.
   */
  public TraceStep redistribute(TraceCredit trace) {
    long startNanos = System.nanoTime();
    double[] values = trace.boundaryValues();
    int[] boundaries = trace.boundaries();
    if (values == null || boundaries == null || values.length != boundaries.length) {
      return TraceStep.failed(
          trace,
          new CreditFailure(
              CreditStep.REDISTRIBUTE,
              "value-count-mismatch",
              IllegalStateException.class.getName(),
              "need one value per boundary: "
                  + (boundaries == null ? 0 : boundaries.length)
                  + " boundaries, "
                  + (values == null ? 0 : values.length)
                  + " values"));
    }
    try {
      double[] terminal =
          RewardRedistribution.withTerminalReward(values, trace.rollout().getReward());
      double[] rewards = RewardRedistribution.segmentRewards(terminal);
      return TraceStep.done(
          trace.withSegmentRewards(terminal, rewards, (System.nanoTime() - startNanos) / 1e6));
    } catch (RewardRedistribution.RedistributionException e) {
      return failed(trace, CreditStep.REDISTRIBUTE, e.reason(), e);
    }
  }

  /**
   * Step 4: per-token advantages of a redistributed trace with {@link TokenAdvantages} under the
   * advantage rule and the statistics of its group as it arrived; every rule gives 0 to every token
   * of a group whose rewards are all equal. Reasons: {@code advantage-failed}, {@code
   * non-finite-advantage}.
   */
  public CreditedTrace advantages(GroupStatistics statistics, TraceCredit trace) {
    Rollout rollout = trace.rollout();
    float[] tokenAdvantages;
    try {
      tokenAdvantages =
          TokenAdvantages.compute(
              advantages,
              rollout.getReward(),
              statistics,
              trace.boundaries(),
              trace.boundaryValues(),
              trace.segmentRewards());
    } catch (RuntimeException e) {
      return CreditedTrace.failed(
          trace, CreditFailure.of(CreditStep.ADVANTAGES, "advantage-failed", e));
    }
    for (float advantage : tokenAdvantages) {
      if (!Float.isFinite(advantage)) {
        return CreditedTrace.failed(
            trace,
            new CreditFailure(
                CreditStep.ADVANTAGES,
                "non-finite-advantage",
                ArithmeticException.class.getName(),
                "token advantages of " + rollout.getRolloutId() + " are not all finite"));
      }
    }
    return CreditedTrace.credited(trace, tokenAdvantages);
  }

  /**
   * {@link #credit(PolicyBackend, TraceGroup, ValueScorer.BatchObserver)} with no batch observer.
   */
  public List<CreditedTrace> credit(@Nullable PolicyBackend policy, TraceGroup group) {
    return credit(policy, group, ValueScorer.BatchObserver.NONE);
  }

  /**
   * The credit of every trace of {@code group}, in the group's order: {@link #credit(PolicyBackend,
   * List, ValueScorer.BatchObserver)} for this one group.
   */
  public List<CreditedTrace> credit(
      @Nullable PolicyBackend policy, TraceGroup group, ValueScorer.BatchObserver observer) {
    return credit(policy, List.of(group), observer).get(0);
  }

  /**
   * The credit of every trace of each of {@code groups}, each group's in its order: the four steps
   * as the pipeline runs them, each step seeing only the traces the earlier ones kept (so the bank
   * estimator's bank, like the stage's, holds only traces that were segmented), with each group's
   * statistics as it arrived. The values of all the groups are scored together ({@link
   * #values(PolicyBackend, List, ValueScorer.BatchObserver)}), so crediting a step's groups in one
   * call takes fewer, larger policy calls than crediting them one by one, with the same credit to
   * float rounding. {@code policy} scores the values and, when the segmentation needs entropies a
   * rollout lacks, the entropies; it may be null for {@link ValueEstimator#NONE}.
   */
  public List<List<CreditedTrace>> credit(
      @Nullable PolicyBackend policy, List<TraceGroup> groups, ValueScorer.BatchObserver observer) {
    EntropySource entropySource =
        policy == null ? null : rollout -> ValueScorer.entropies(policy, rollout);
    List<Map<String, CreditedTrace>> credited = new ArrayList<>();
    List<ValueScorer.GroupTraces> toValue = new ArrayList<>();
    // toValue.get(i) holds the segmented traces of groups.get(valuedGroup.get(i)).
    List<Integer> valuedGroup = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      TraceGroup group = groups.get(g);
      Map<String, CreditedTrace> groupCredit = new LinkedHashMap<>();
      for (TraceCredit trace : group.traces()) {
        groupCredit.put(trace.rollout().getRolloutId(), null);
      }
      List<TraceCredit> segmented = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        TraceStep step = segment(trace, entropySource);
        if (step.succeeded()) {
          segmented.add(step.trace());
        } else {
          groupCredit.put(trace.rollout().getRolloutId(), failed(step));
        }
      }
      credited.add(groupCredit);
      if (!segmented.isEmpty()) {
        toValue.add(new ValueScorer.GroupTraces(group.withTraces(segmented), segmented));
        valuedGroup.add(g);
      }
    }
    List<List<TraceStep>> valued =
        toValue.isEmpty() ? List.of() : values(policy, toValue, observer);
    for (int i = 0; i < valued.size(); i++) {
      TraceGroup group = groups.get(valuedGroup.get(i));
      Map<String, CreditedTrace> groupCredit = credited.get(valuedGroup.get(i));
      for (TraceStep step : valued.get(i)) {
        String id = step.trace().rollout().getRolloutId();
        if (!step.succeeded()) {
          groupCredit.put(id, failed(step));
          continue;
        }
        TraceStep redistributed = redistribute(step.trace());
        groupCredit.put(
            id,
            redistributed.succeeded()
                ? advantages(group.statistics(), redistributed.trace())
                : failed(redistributed));
      }
    }
    List<List<CreditedTrace>> out = new ArrayList<>();
    for (Map<String, CreditedTrace> groupCredit : credited) {
      out.add(new ArrayList<>(groupCredit.values()));
    }
    return out;
  }

  private static CreditedTrace failed(TraceStep step) {
    return CreditedTrace.failed(step.trace(), step.failure());
  }

  private static TraceStep failed(
      TraceCredit trace, CreditStep step, String reason, Throwable error) {
    return TraceStep.failed(trace, CreditFailure.of(step, reason, error));
  }

  private static float[] recordedEntropies(Rollout rollout) {
    List<Float> values = rollout.getEntropies();
    if (values == null) {
      return null;
    }
    float[] entropies = new float[values.size()];
    for (int t = 0; t < entropies.length; t++) {
      entropies[t] = values.get(t);
    }
    return entropies;
  }

  /** Builder; defaults: single segment, no value model, GRPO. */
  public static final class Builder {
    private SegmentationSettings segmentation = SegmentationSettings.single();
    private ValueEstimator estimator = ValueEstimator.NONE;
    private @Nullable ModelSettings model;
    private TokenAdvantages.Settings advantages = TokenAdvantages.Settings.grpo();

    public Builder optSegmentation(SegmentationSettings value) {
      this.segmentation = Objects.requireNonNull(value, "segmentation");
      return this;
    }

    public Builder optValueEstimator(ValueEstimator value) {
      this.estimator = Objects.requireNonNull(value, "estimator");
      return this;
    }

    /** Model settings; required by every estimator but none. */
    public Builder optModel(@Nullable ModelSettings value) {
      this.model = value;
      return this;
    }

    public Builder optAdvantages(TokenAdvantages.Settings value) {
      this.advantages = Objects.requireNonNull(value, "advantages");
      return this;
    }

    /**
     * @throws IllegalArgumentException when a model estimator has no model settings
     */
    public GroupCreditor build() {
      if (estimator.needsPolicy() && model == null) {
        throw new IllegalArgumentException(
            "--value-estimator="
                + estimator.optionValue()
                + " needs the policy: set --store to a checkpoint store");
      }
      return new GroupCreditor(this);
    }
  }
}
