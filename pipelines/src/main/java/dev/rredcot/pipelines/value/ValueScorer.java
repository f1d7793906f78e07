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
import java.util.function.Function;

/**
 * Computes boundary values v_0..v_K for the traces of one group with a policy backend, for one
 * {@link ValueEstimator}: checks each trace against the policy, batches the checked ones and hands
 * each batch to the option's estimator class; the rollouts' task families come from the registry of
 * {@link ModelSettings#taskFamilies()}. Plain Java (no Beam), so the pipeline's DoFn and the
 * benchmark's bare loop run exactly the same scoring.
 *
 * <p>The last boundary is the finished trace: {@code answer}, {@code bank} and {@code mc} give it
 * the rollout's verified reward ζ without a model call (RedistributeRewards sets v_K = ζ anyway)
 * and estimate only v_0..v_{K−1}.
 *
 * <ul>
 *   <li>{@code answer} ({@code AnswerEstimator}): {@code p(answerSuffix(y*) | prompt + trace[0:b] +
 *       cue)} at every boundary b, KV cache reused when configured; traces of a group are batched
 *       (by count and tokens).
 *   <li>{@code bank} ({@code BankEstimator}): continuation-bank values ({@link
 *       PolicyBackend#bankValues}); the bank is the rollout's reference solution plus the texts of
 *       the group's correct traces (reward 1), each split into the task's step lines ({@link
 *       TaskFamily#splitSteps}) and kept when what follows the steps is exactly the answer line
 *       {@code cue + answerSuffix(y*)}; each boundary scores the solutions' remainders aligned with
 *       it, combined as {@link ModelSettings#bankAggregation()} says. Traces of a group are batched
 *       like {@code answer}, so the group's traces and bank texts share one context pass and a bank
 *       text's rest after a trace prefix equal to its own is read from it rather than scored again
 *       ({@link PolicyBackend#bankValues} says when a bank text's pass pays off). An empty bank is
 *       a failure ({@code empty-continuation-bank}).
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
      backend.require(capability, "--valueEstimator=" + estimator.optionValue());
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
    List<Outcome> outcomes = new ArrayList<>();
    List<PreparedTrace> prepared = new ArrayList<>();
    for (TraceCredit trace : traces) {
      try {
        prepared.add(TraceValidation.prepare(policy, group, trace, families, settings.answerCue()));
      } catch (ValueEstimationException e) {
        outcomes.add(new Outcome(trace, null, e));
      }
    }
    for (List<PreparedTrace> batch : batches(prepared)) {
      outcomes.addAll(
          call(
              policy,
              batch,
              observer,
              calls -> implementation.values(policy, settings, group, calls)));
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
   * The policy calls for {@code prepared}: chunks of at most {@link ModelSettings#maxBatchTraces()}
   * traces and {@link ModelSettings#maxBatchTokens()} context tokens when the estimator batches,
   * else one trace per call.
   */
  private List<List<PreparedTrace>> batches(List<PreparedTrace> prepared) {
    List<List<PreparedTrace>> batches = new ArrayList<>();
    if (!implementation.batchesTraces()) {
      for (PreparedTrace trace : prepared) {
        batches.add(List.of(trace));
      }
      return batches;
    }
    List<PreparedTrace> current = new ArrayList<>();
    long tokens = 0;
    for (PreparedTrace trace : prepared) {
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
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  /**
   * Runs one policy call for {@code batch}, times it and checks its values; when the call throws
   * for a batch of several traces, each trace is retried alone so one bad trace fails alone.
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
        List<Outcome> outcomes = new ArrayList<>();
        for (PreparedTrace trace : batch) {
          outcomes.addAll(call(policy, List.of(trace), observer, scoring));
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
