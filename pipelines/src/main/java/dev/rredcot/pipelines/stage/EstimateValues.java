package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.credit.CreditStep;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.credit.TraceStep;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.PolicyHolder;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Attaches state values v_0..v_K to every segmented trace of a group with {@link
 * GroupCreditor#values}. {@link ValueEstimator#NONE} uses the group-mean baseline (single segment
 * only), one group at a time; every other estimator scores with the policy ({@link ValueScorer}),
 * with the policy version chosen by {@link PolicyHolder#lease} recorded on each trace. Traces that
 * cannot be valued become dead letters with the scorer's reason; the rest of the group goes on.
 *
 * <p>Policy values are scored for several groups per call: the DoFn buffers the groups of a bundle
 * and scores them together, once per generating policy version, as soon as the buffered traces
 * reach {@link ModelSettings#maxBatchTraces()} and at the end of the bundle; every valued group and
 * dead letter leaves at the end of the bundle, with its own timestamp and window. So a group waits
 * at most for the rest of its bundle. On the Flink runner a bundle ends after {@code
 * --maxBundleSize} elements or {@code --maxBundleTimeMills} (1000 elements and 1000 ms in streaming
 * mode by default; the time is checked between elements, so the wait can exceed it by one scoring
 * call) and before every checkpoint, so nothing stays buffered across a checkpoint and no state is
 * needed; on the Direct runner a streaming bundle is what one step of the source delivered.
 * Bundle-based batching was chosen over {@code GroupIntoBatches}, which needs keys (an extra
 * shuffle), state that checkpoints carry and a processing-time timer to bound the wait. A group's
 * values do not depend on what it was batched with, to float rounding ({@link ValueScorer}).
 */
public final class EstimateValues
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = CreditStep.VALUES.stage();

  static final TupleTag<TraceGroup> VALUED = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final ValueEstimator estimator;
  private final @Nullable ModelSettings model;

  private EstimateValues(ValueEstimator estimator, @Nullable ModelSettings model) {
    this.estimator = estimator;
    this.model = model;
  }

  /** Model-free values ({@link ValueEstimator#NONE} only). */
  public static EstimateValues of(ValueEstimator estimator) {
    return of(estimator, null);
  }

  /**
   * Values from {@code estimator}; a model estimator needs {@code model} settings.
   *
   * @throws IllegalArgumentException when a model estimator has no model settings
   */
  public static EstimateValues of(ValueEstimator estimator, @Nullable ModelSettings model) {
    if (estimator.needsPolicy() && model == null) {
      throw new IllegalArgumentException(
          "--value-estimator="
              + estimator.optionValue()
              + " needs the policy: set --store to a checkpoint store");
    }
    return new EstimateValues(estimator, model);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    DoFn<TraceGroup, TraceGroup> fn =
        estimator.needsPolicy() ? new PolicyValuesFn(estimator, model) : new GroupMeanBaselineFn();
    return GroupSteps.apply(
        groups, estimator.needsPolicy() ? "PolicyValues" : "GroupMeanBaseline", fn, VALUED, FAILED);
  }

  /** v_0 = group mean, v_1 = reward, for single-segment traces. */
  static final class GroupMeanBaselineFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;
    private transient GroupCreditor creditor;

    @Setup
    public void setup() {
      creditor = GroupCreditor.builder().build();
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, group.traces().size());
      GroupSteps.emit(
          STAGE,
          group,
          creditor.values(null, group, group.traces(), ValueScorer.BatchObserver.NONE),
          out.get(VALUED)::output,
          out.get(FAILED)::output);
    }
  }

  /**
   * Policy values for the traces of the groups of a bundle, scored together (see {@link
   * EstimateValues}). The policy is loaded once per worker JVM by {@link PolicyHolder} (shared by
   * every instance and thread of this DoFn); traces are scored with the version that generated them
   * while it is held, else the newest, and the buffered groups' traces are grouped by that version
   * into batched policy calls.
   */
  static final class PolicyValuesFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;

    private final ValueEstimator estimator;
    private final ModelSettings model;
    private final Distribution batchTraces =
        StageMetrics.distribution(StageMetrics.SCORER_BATCH_TRACES);
    private final Distribution latencyMs =
        StageMetrics.distribution(StageMetrics.SCORER_LATENCY_MS);
    private final Counter forwardTokens = StageMetrics.counter(StageMetrics.MODEL_FORWARD_TOKENS);
    private final Counter generatingVersion =
        StageMetrics.counter(StageMetrics.SCORED_WITH_GENERATING_VERSION);
    private final Counter newestVersion =
        StageMetrics.counter(StageMetrics.SCORED_WITH_NEWEST_VERSION);
    private final Counter checkpointsRefused =
        StageMetrics.counter(StageMetrics.CHECKPOINTS_REFUSED);
    private final Counter checkpointsIgnored =
        StageMetrics.counter(StageMetrics.CHECKPOINTS_IGNORED);
    private final Gauge policyVersion = StageMetrics.gauge(StageMetrics.POLICY_VERSION);
    private transient PolicyHolder holder;
    private transient GroupCreditor creditor;

    /** Groups of this bundle not scored yet. */
    private transient List<BufferedGroup> unscored;

    /** Traces in {@link #unscored}. */
    private transient int unscoredTraces;

    /** Groups of this bundle scored and waiting for the end of the bundle. */
    private transient List<BufferedGroup> scored;

    PolicyValuesFn(ValueEstimator estimator, ModelSettings model) {
      this.estimator = estimator;
      this.model = model;
    }

    /** A group of the bundle, where it came from, and its steps once scored. */
    private static final class BufferedGroup {
      final TraceGroup group;
      final Instant timestamp;
      final BoundedWindow window;

      /** The traces' generating versions, in the order the group first has them. */
      final Map<Long, List<TraceCredit>> byVersion = new LinkedHashMap<>();

      /** The steps of each version's traces, once scored. */
      final Map<Long, List<TraceStep>> steps = new HashMap<>();

      BufferedGroup(TraceGroup group, Instant timestamp, BoundedWindow window) {
        this.group = group;
        this.timestamp = timestamp;
        this.window = window;
        for (TraceCredit trace : group.traces()) {
          byVersion
              .computeIfAbsent(trace.rollout().getPolicyVersion(), v -> new ArrayList<>())
              .add(trace);
        }
      }
    }

    @Setup
    public void setup() {
      holder = PolicyHolder.acquire(model);
      creditor = GroupCreditor.builder().optValueEstimator(estimator).optModel(model).build();
      try (PolicyHolder.Lease lease = holder.lease(Long.MIN_VALUE)) {
        creditor.checkBackend(lease.policy());
      } catch (RuntimeException e) {
        holder.release();
        holder = null;
        throw e;
      }
    }

    @StartBundle
    public void startBundle() {
      unscored = new ArrayList<>();
      unscoredTraces = 0;
      scored = new ArrayList<>();
    }

    @ProcessElement
    public void processElement(
        @Element TraceGroup group, @Timestamp Instant timestamp, BoundedWindow window) {
      StageMetrics.in(STAGE, group.traces().size());
      unscored.add(new BufferedGroup(group, timestamp, window));
      unscoredTraces += group.traces().size();
      if (unscoredTraces >= model.maxBatchTraces()) {
        scoreBuffered();
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      scoreBuffered();
      for (BufferedGroup buffered : scored) {
        List<TraceStep> steps = new ArrayList<>();
        for (Long version : buffered.byVersion.keySet()) {
          steps.addAll(buffered.steps.get(version));
        }
        GroupSteps.emit(
            STAGE,
            buffered.group,
            steps,
            group -> context.output(VALUED, group, buffered.timestamp, buffered.window),
            letter -> context.output(FAILED, letter, buffered.timestamp, buffered.window));
      }
      scored = new ArrayList<>();
    }

    /**
     * Scores every unscored group of the bundle: one {@link GroupCreditor#values} over all of them
     * per generating version, under that version's lease.
     */
    private void scoreBuffered() {
      if (unscored.isEmpty()) {
        return;
      }
      reportRefusedCheckpoints();
      List<Long> held = holder.heldVersions();
      long newest = held.isEmpty() ? Long.MIN_VALUE : held.get(held.size() - 1);
      if (!held.isEmpty()) {
        policyVersion.set(newest);
      }
      Map<Long, List<BufferedGroup>> groupsByVersion = new LinkedHashMap<>();
      for (BufferedGroup buffered : unscored) {
        for (Map.Entry<Long, List<TraceCredit>> entry : buffered.byVersion.entrySet()) {
          if (!held.isEmpty()) {
            for (int i = 0; i < entry.getValue().size(); i++) {
              StageMetrics.staleness(newest - entry.getKey());
            }
          }
          groupsByVersion.computeIfAbsent(entry.getKey(), v -> new ArrayList<>()).add(buffered);
        }
      }
      for (Map.Entry<Long, List<BufferedGroup>> entry : groupsByVersion.entrySet()) {
        long version = entry.getKey();
        List<ValueScorer.GroupTraces> toValue = new ArrayList<>();
        int traces = 0;
        for (BufferedGroup buffered : entry.getValue()) {
          List<TraceCredit> ofVersion = buffered.byVersion.get(version);
          toValue.add(new ValueScorer.GroupTraces(buffered.group, ofVersion));
          traces += ofVersion.size();
        }
        try (PolicyHolder.Lease lease = holder.lease(version)) {
          (lease.isGeneratingVersion() ? generatingVersion : newestVersion).inc(traces);
          List<List<TraceStep>> steps =
              creditor.values(
                  lease.policy(),
                  toValue,
                  (count, tokens, ms, forward) -> {
                    batchTraces.update(count);
                    latencyMs.update(Math.round(ms));
                    forwardTokens.inc(forward);
                  });
          for (int g = 0; g < steps.size(); g++) {
            entry.getValue().get(g).steps.put(version, steps.get(g));
          }
        }
      }
      scored.addAll(unscored);
      unscored = new ArrayList<>();
      unscoredTraces = 0;
    }

    private void reportRefusedCheckpoints() {
      long refused = holder.takeUnreportedRefusals();
      if (refused > 0) {
        checkpointsRefused.inc(refused);
      }
      // Announced versions the store does not hold.
      long ignored = holder.takeUnreportedIgnored();
      if (ignored > 0) {
        checkpointsIgnored.inc(ignored);
      }
    }

    @Teardown
    public void teardown() {
      if (holder != null) {
        holder.release();
        holder = null;
      }
    }
  }
}
