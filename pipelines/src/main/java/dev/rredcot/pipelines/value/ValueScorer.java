package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.endpoint.ModelServerUnavailableException;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Computes boundary values v_0..v_K for the traces of one group, or of several groups at once, with
 * a policy backend, for one {@link ValueEstimator}: checks each trace against the policy, batches
 * the checked ones (across groups, whole groups at a time) and hands each batch to the option's
 * estimator class; the rollouts' task families come from the registry of {@link
 * ModelSettings#taskFamilies()}. Plain Java (no Beam), so the pipeline's DoFn, the benchmark's bare
 * loop and the evaluations run exactly the same scoring.
 *
 * <p>The last boundary is the finished trace: {@code answer}, {@code bank} and {@code mc} give it
 * the rollout's verified reward ζ without a model call (RedistributeRewards sets v_K = ζ anyway)
 * and estimate only v_0..v_{K−1}.
 *
 * <ul>
 *   <li>{@code answer} ({@code AnswerEstimator}): {@code p(answerSuffix(y*) | prompt + trace[0:b] +
 *       cue)} at every boundary b, KV cache reused when configured; traces are batched, across
 *       groups when several are scored together (by count and tokens).
 *   <li>{@code bank} ({@code BankEstimator}): continuation-bank values ({@link
 *       PolicyBackend#bankValues}); the bank is the rollout's reference solution plus the texts of
 *       the group's correct traces (reward 1), each split into the task's step lines ({@link
 *       TaskFamily#splitSteps}) and kept when what follows the steps is exactly the answer line
 *       {@code cue + answerSuffix(y*)}; each boundary scores the solutions' remainders aligned with
 *       it, combined as {@link ModelSettings#bankAggregation()} says. Traces are batched like
 *       {@code answer}, so the traces and bank texts of the groups in a call share one context pass
 *       and a bank text's rest after a trace prefix equal to its own is read from it rather than
 *       scored again ({@link PolicyBackend#bankValues} says when a bank text's pass pays off). An
 *       empty bank is a failure ({@code empty-continuation-bank}).
 *   <li>{@code mc} ({@code MonteCarloEstimator}): M continuations sampled from every boundary but
 *       the last and verified with the task; v = fraction correct. Identical prefixes share one
 *       prefill ({@link PolicyBackend#generate}).
 *   <li>{@code loo} and {@code gradient} ({@code LeaveOneOutEstimator}, {@code GradientEstimator}):
 *       per-segment attributions a_k (loo: {@code p_full − p(y* | trace without segment k)};
 *       gradient: gradient × input of {@code log p(y* | full trace)} summed over segment k's
 *       tokens) mapped to boundary values by v_0 = p(y* | prompt alone) and v_k = v_0 + (p_full −
 *       v_0) · (a_1 + … + a_k) / (a_1 + … + a_K), so v_K = p_full and the segment rewards split the
 *       total change p_full − v_0 in proportion to the attributions (equal shares when the
 *       attributions sum to 0). These values can leave [0, 1] when attributions have mixed signs;
 *       the telescoping sum still holds.
 * </ul>
 *
 * <p>Every trace gets either values (one per boundary, all finite) or a {@link
 * ValueEstimationException} with a dead-letter reason: {@code group-size-mismatch}, {@code
 * missing-reference-answer}, {@code unknown-task-family}, {@code unmappable-tokens}, {@code
 * trace-too-long}, {@code empty-continuation-bank}, {@code non-finite-value}, {@code
 * model-server-unavailable} or {@code scoring-failed}. An estimator whose backend lacks a
 * capability it needs is refused by {@link #checkBackend} before any record.
 */
public final class ValueScorer {
  /** Sees every policy call: traces in it, their tokens, wall time and forward tokens used. */
  @FunctionalInterface
  public interface BatchObserver {
    void onBatch(int traces, long traceTokens, double latencyMs, long forwardTokens);

    BatchObserver NONE = (traces, tokens, latencyMs, forwardTokens) -> {};
  }

  /**
   * Traces of one group to value: {@code traces}, all from {@code group}, whose other members the
   * bank estimator reads.
   */
  public record GroupTraces(TraceGroup group, List<TraceCredit> traces) {
    public GroupTraces {
      Objects.requireNonNull(group, "group");
      traces = List.copyOf(traces);
    }
  }

  /** Values for one trace, or why there are none. */
  public static final class Outcome {
    private final TraceCredit trace;
    private final double[] values;
    private final ValueEstimationException failure;

    private Outcome(TraceCredit trace, double[] values, ValueEstimationException failure) {
      this.trace = trace;
      this.values = values;
      this.failure = failure;
    }

    public TraceCredit trace() {
      return trace;
    }

    /** v_0..v_K, or null on failure. */
    public double[] values() {
      return values;
    }

    /** The failure, or null. */
    public ValueEstimationException failure() {
      return failure;
    }
  }

  private final ValueEstimator estimator;
  private final BoundaryValueEstimator implementation;
  private final ModelSettings settings;
  private final TaskFamilyRegistry families;

  public ValueScorer(ValueEstimator estimator, ModelSettings settings) {
    this.estimator = estimator;
    this.implementation = BoundaryValueEstimator.of(estimator);
    this.settings = settings;
    this.families = TaskFamilyRegistry.parse(settings.taskFamilies());
  }

  public ValueEstimator estimator() {
    return estimator;
  }

  /** The capabilities a backend needs for {@code estimator}'s values. */
  public static List<BackendCapability> requiredCapabilities(ValueEstimator estimator) {
    return estimator.needsPolicy()
        ? BoundaryValueEstimator.of(estimator).requiredCapabilities()
        : List.of();
  }

  /**
   * Fails unless {@code backend} can give {@code estimator}'s values; stages call it when they
   * start.
   *
   * @throws dev.rredcot.model.backend.UnsupportedCapabilityException naming the option and the
   *     missing capability
   */
  public static void checkBackend(ValueEstimator estimator, PolicyBackend backend) {
    for (BackendCapability capability : requiredCapabilities(estimator)) {
      backend.require(capability, "--value-estimator=" + estimator.optionValue());
    }
  }

  /**
   * {@link #checkBackend(ValueEstimator, PolicyBackend)} for this scorer's estimator, and
   * generation where its settings ask the bank for the greedy fill.
   */
  public void checkBackend(PolicyBackend backend) {
    checkBackend(estimator, backend);
    if (estimator == ValueEstimator.BANK && settings.bankGreedyFill()) {
      backend.require(
          BackendCapability.GENERATION,
          "the bank's greedy fill (--bank-greedy-fill=false turns it off for a backend that only"
              + " scores)");
    }
  }

  /** The task family that verifies rollouts of {@code name}, from the configured registry. */
  public TaskFamily taskFamily(String name) throws ValueEstimationException {
    return TraceValidation.taskFamily(families, name);
  }

  /** The task family called {@code name} in {@code registry}, or {@code unknown-task-family}. */
  public static TaskFamily taskFamily(TaskFamilyRegistry registry, String name)
      throws ValueEstimationException {
    return TraceValidation.taskFamily(registry, name);
  }

  /** Values for {@code traces} (all from {@code group}), scored with {@code policy}. */
  public List<Outcome> score(
      PolicyBackend policy, TraceGroup group, List<TraceCredit> traces, BatchObserver observer) {
    return score(policy, List.of(new GroupTraces(group, traces)), observer).get(0);
  }

  /**
   * Values for the traces of several groups, scored with {@code policy} in as few calls as the
   * batch limits allow: the checked traces of every group, in order, fill calls of at most {@link
   * ModelSettings#maxBatchTraces()} traces and {@link ModelSettings#maxBatchTokens()} context
   * tokens, and a group goes whole into one call unless it alone exceeds a limit. So each call sees
   * whole groups, as when a group is scored alone (the bank estimator's one pass per bank text is
   * per call), and the values equal the group-by-group ones to float rounding. A call that throws
   * is retried group by group, then trace by trace, so a bad trace fails alone, as it does when its
   * group is scored alone.
   *
   * @return for each of {@code groups}, in order, the outcomes of its traces in the order {@link
   *     #score(PolicyBackend, TraceGroup, List, BatchObserver)} gives them
   */
  public List<List<Outcome>> score(
      PolicyBackend policy, List<GroupTraces> groups, BatchObserver observer) {
    List<List<Outcome>> outcomes = new ArrayList<>();
    List<List<PreparedTrace>> preparedByGroup = new ArrayList<>();
    for (GroupTraces group : groups) {
      List<Outcome> groupOutcomes = new ArrayList<>();
      List<PreparedTrace> prepared = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        try {
          prepared.add(
              TraceValidation.prepare(
                  policy, group.group(), trace, families, settings.answerCue()));
        } catch (ValueEstimationException e) {
          groupOutcomes.add(new Outcome(trace, null, e));
        }
      }
      outcomes.add(groupOutcomes);
      preparedByGroup.add(prepared);
    }
    List<Outcome> scored = new ArrayList<>();
    for (List<PreparedTrace> batch : batches(preparedByGroup)) {
      scored.addAll(
          call(policy, batch, observer, calls -> implementation.values(policy, settings, calls)));
    }
    // call() keeps its batch's order, so the scored outcomes follow the prepared traces.
    int next = 0;
    for (int g = 0; g < groups.size(); g++) {
      int count = preparedByGroup.get(g).size();
      outcomes.get(g).addAll(scored.subList(next, next + count));
      next += count;
    }
    return outcomes;
  }

  /**
   * Per-token predictive entropies of a rollout's trace from {@link PolicyBackend#score}, for
   * segmentation when the generator did not record them.
   */
  public static float[] entropies(PolicyBackend policy, Rollout rollout)
      throws ValueEstimationException {
    return PolicyEntropies.of(policy, rollout);
  }

  /**
   * The policy calls for the checked traces of each group: chunks of at most {@link
   * ModelSettings#maxBatchTraces()} traces and {@link ModelSettings#maxBatchTokens()} context
   * tokens when the estimator batches, starting a new chunk before a group that does not fit whole
   * in the current one; else one trace per call. For a single group this is the chunking of that
   * group alone.
   */
  private List<List<PreparedTrace>> batches(List<List<PreparedTrace>> preparedByGroup) {
    List<List<PreparedTrace>> batches = new ArrayList<>();
    if (!implementation.batchesTraces()) {
      for (List<PreparedTrace> group : preparedByGroup) {
        for (PreparedTrace trace : group) {
          batches.add(List.of(trace));
        }
      }
      return batches;
    }
    List<PreparedTrace> current = new ArrayList<>();
    long tokens = 0;
    for (List<PreparedTrace> group : preparedByGroup) {
      long groupTokens = 0;
      for (PreparedTrace trace : group) {
        groupTokens += trace.contextTokens();
      }
      if (!current.isEmpty()
          && (current.size() + group.size() > settings.maxBatchTraces()
              || tokens + groupTokens > settings.maxBatchTokens())) {
        batches.add(current);
        current = new ArrayList<>();
        tokens = 0;
      }
      for (PreparedTrace trace : group) {
        if (!current.isEmpty()
            && (current.size() >= settings.maxBatchTraces()
                || tokens + trace.contextTokens() > settings.maxBatchTokens())) {
          batches.add(current);
          current = new ArrayList<>();
          tokens = 0;
        }
        current.add(trace);
        tokens += trace.contextTokens();
      }
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  /**
   * Runs one policy call for {@code batch}, times it and checks its values, in the batch's order;
   * when the call throws for a batch of several groups, each group is retried alone, and for a
   * batch of one group's traces, each trace, so one bad trace fails alone.
   */
  private static List<Outcome> call(
      PolicyBackend policy,
      List<PreparedTrace> batch,
      BatchObserver observer,
      Function<List<PreparedTrace>, List<double[]>> scoring) {
    long startNanos = System.nanoTime();
    long forwardBefore = policy.forwardTokens();
    List<double[]> values;
    try {
      values = scoring.apply(batch);
    } catch (RuntimeException e) {
      // A server that is down fails every trace alike: retrying them one by one would only wait.
      if (batch.size() > 1 && !(e instanceof ModelServerUnavailableException)) {
        List<List<PreparedTrace>> parts = byGroup(batch);
        if (parts.size() == 1) {
          parts = batch.stream().map(List::of).toList();
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (List<PreparedTrace> part : parts) {
          outcomes.addAll(call(policy, part, observer, scoring));
        }
        return outcomes;
      }
      List<Outcome> failed = new ArrayList<>();
      for (PreparedTrace trace : batch) {
        failed.add(
            new Outcome(
                trace.trace(),
                null,
                new ValueEstimationException(
                    reason(e), e.getClass().getName() + ": " + e.getMessage())));
      }
      return failed;
    }
    long tokens = 0;
    for (PreparedTrace trace : batch) {
      tokens += trace.tokens().length;
    }
    observer.onBatch(
        batch.size(),
        tokens,
        (System.nanoTime() - startNanos) / 1e6,
        policy.forwardTokens() - forwardBefore);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      PreparedTrace trace = batch.get(i);
      outcomes.add(check(trace.trace(), trace.boundaries().length, values.get(i)));
    }
    return outcomes;
  }

  /**
   * {@code batch} cut into runs of traces of the same group, in order. Groups are compared by
   * identity: the traces of one {@link GroupTraces} share its group object, and two groups with
   * equal contents are still two groups.
   */
  private static List<List<PreparedTrace>> byGroup(List<PreparedTrace> batch) {
    List<List<PreparedTrace>> runs = new ArrayList<>();
    List<PreparedTrace> run = new ArrayList<>();
    for (PreparedTrace trace : batch) {
      if (!run.isEmpty() && run.get(0).group() != trace.group()) {
        runs.add(run);
        run = new ArrayList<>();
      }
      run.add(trace);
    }
    runs.add(run);
    return runs;
  }

  private static String reason(RuntimeException e) {
    if (e instanceof EmptyBankException) {
      return "empty-continuation-bank";
    }
    if (e instanceof ReachabilityEstimator.NoOracleException) {
      return "no-exact-oracle";
    }
    if (e instanceof ModelServerUnavailableException) {
      return ModelServerUnavailableException.REASON;
    }
    return "scoring-failed";
  }

  /** Values of the right count and all finite, else the failure ({@code non-finite-value}...). */
  static Outcome check(TraceCredit trace, int boundaries, double[] values) {
    if (values.length != boundaries) {
      return new Outcome(
          trace,
          null,
          new ValueEstimationException(
              "value-count-mismatch", values.length + " values for " + boundaries + " boundaries"));
    }
    for (int k = 0; k < values.length; k++) {
      if (!Double.isFinite(values[k])) {
        return new Outcome(
            trace,
            null,
            new ValueEstimationException(
                "non-finite-value", "value at boundary " + k + " is " + values[k]));
      }
    }
    return new Outcome(trace, values, null);
  }

  /** {@link AttributionValues#boundaryValues}, the mapping {@code loo} and {@code gradient} use. */
  static double[] valuesFromAttributions(double promptOnly, double full, double[] attributions) {
    return AttributionValues.boundaryValues(promptOnly, full, attributions);
  }

  /**
   * The continuation bank of a trace is empty; becomes {@code empty-continuation-bank}. It stays
   * nested here because its class name is part of the dead-letter message.
   */
  static final class EmptyBankException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmptyBankException(String message) {
      super(message);
    }
  }
}
