package dev.rredcot.pipelines.group;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Collects the rollouts of each GRPO group (keyed by group id) in a stateful DoFn and emits the
 * group as a {@link TraceGroup}:
 *
 * <ul>
 *   <li>as soon as all {@code groupSize} distinct samples have arrived (complete);
 *   <li>when the group is still incomplete {@code groupTimeoutMs} of processing time after its
 *       first rollout arrived (partial, counted as {@code groups-partial-timeout});
 *   <li>at the end of a bounded input, with whatever arrived (partial, counted as {@code
 *       groups-partial-end-of-input}).
 * </ul>
 *
 * <p>A rollout id seen twice in a group is a producer retry: ignored and counted ({@code
 * duplicate-rollouts}). A second rollout with another id for a sample index already taken becomes a
 * dead letter ({@code duplicate-sample-index}), as does a rollout whose groupSize disagrees with
 * the group's first ({@code group-size-mismatch}) and a rollout for a group already emitted ({@code
 * late-rollout}). After emission only a small "emitted" marker stays, and a processing-time timer
 * forgets it after {@code emittedMarkerTtlMs}; a later rollout with that group id then starts a new
 * group. So state never grows with the number of groups seen.
 */
public final class GroupRollouts
    extends PTransform<
        PCollection<Rollout>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "GroupRollouts";

  static final TupleTag<TraceGroup> GROUPS = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final long groupTimeoutMs;
  private final long emittedMarkerTtlMs;

  private GroupRollouts(long groupTimeoutMs, long emittedMarkerTtlMs) {
    if (groupTimeoutMs <= 0 || emittedMarkerTtlMs <= 0) {
      throw new IllegalArgumentException(
          "groupTimeoutMs and emittedMarkerTtlMs must be > 0, got "
              + groupTimeoutMs
              + " and "
              + emittedMarkerTtlMs);
    }
    this.groupTimeoutMs = groupTimeoutMs;
    this.emittedMarkerTtlMs = emittedMarkerTtlMs;
  }

  /** Groups with the given partial-group timeout and late-rollout memory, both processing time. */
  public static GroupRollouts of(long groupTimeoutMs, long emittedMarkerTtlMs) {
    return new GroupRollouts(groupTimeoutMs, emittedMarkerTtlMs);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<Rollout> rollouts) {
    PCollectionTuple grouped =
        rollouts
            .apply(
                "KeyByGroupId",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(), TypeDescriptor.of(Rollout.class)))
                    .via(rollout -> KV.of(rollout.getGroupId(), rollout)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(Rollout.class)))
            .apply(
                "GroupByPrompt",
                ParDo.of(new GroupRolloutsFn(groupTimeoutMs, emittedMarkerTtlMs))
                    .withOutputTags(GROUPS, TupleTagList.of(FAILED)));
    grouped.get(GROUPS).setCoder(TraceGroupCoder.of());
    grouped.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(grouped, GROUPS, FAILED);
  }

  /** The stateful step: one key per group id. */
  static final class GroupRolloutsFn extends DoFn<KV<String, Rollout>, TraceGroup> {
    private static final long serialVersionUID = 1L;

    private final long groupTimeoutMs;
    private final long emittedMarkerTtlMs;

    private final Counter completeGroups = counter(StageMetrics.GROUPS_COMPLETE);
    private final Counter timedOutGroups = counter(StageMetrics.GROUPS_PARTIAL_TIMEOUT);
    private final Counter endOfInputGroups = counter(StageMetrics.GROUPS_PARTIAL_END_OF_INPUT);
    private final Counter duplicateRollouts = counter(StageMetrics.DUPLICATE_ROLLOUTS);
    private final Counter forgottenMarkers = counter(StageMetrics.EMITTED_MARKERS_EXPIRED);

    @StateId("rollouts")
    private final StateSpec<BagState<Rollout>> rolloutsSpec =
        StateSpecs.bag(AvroCoder.of(Rollout.class));

    @StateId("groupSize")
    private final StateSpec<ValueState<Integer>> groupSizeSpec = StateSpecs.value(VarIntCoder.of());

    @StateId("emitted")
    private final StateSpec<ValueState<Boolean>> emittedSpec = StateSpecs.value(BooleanCoder.of());

    @TimerId("groupTimeout")
    private final TimerSpec groupTimeoutSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @TimerId("forgetEmitted")
    private final TimerSpec forgetEmittedSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @TimerId("endOfInput")
    private final TimerSpec endOfInputSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    GroupRolloutsFn(long groupTimeoutMs, long emittedMarkerTtlMs) {
      this.groupTimeoutMs = groupTimeoutMs;
      this.emittedMarkerTtlMs = emittedMarkerTtlMs;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, Rollout> element,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        @StateId("rollouts") BagState<Rollout> rollouts,
        @StateId("groupSize") ValueState<Integer> groupSize,
        @StateId("emitted") ValueState<Boolean> emitted,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        @TimerId("endOfInput") Timer endOfInput,
        MultiOutputReceiver out) {
      Rollout rollout = element.getValue();
      if (Boolean.TRUE.equals(emitted.read())) {
        out.get(FAILED)
            .output(
                DeadLetters.ofRollout(
                    rollout,
                    STAGE,
                    "late-rollout",
                    IllegalStateException.class.getName(),
                    "group "
                        + rollout.getGroupId()
                        + " was already credited; rollout "
                        + rollout.getRolloutId()
                        + " arrived too late"));
        return;
      }
      Integer expectedSize = groupSize.read();
      if (expectedSize == null) {
        expectedSize = rollout.getGroupSize();
        groupSize.write(expectedSize);
        // A timed-out group is output at its first rollout's timestamp. The hold this puts on the
        // output watermark does not delay a bounded run: endOfInput fires on the input watermark
        // and clears the timeout.
        groupTimeout
            .offset(Duration.millis(groupTimeoutMs))
            .withOutputTimestamp(timestamp)
            .setRelative();
        endOfInput.set(window.maxTimestamp());
      } else if (expectedSize != rollout.getGroupSize()) {
        out.get(FAILED)
            .output(
                DeadLetters.ofRollout(
                    rollout,
                    STAGE,
                    "group-size-mismatch",
                    IllegalArgumentException.class.getName(),
                    "rollout "
                        + rollout.getRolloutId()
                        + " says groupSize "
                        + rollout.getGroupSize()
                        + " but group "
                        + rollout.getGroupId()
                        + " has "
                        + expectedSize));
        return;
      }
      List<Rollout> arrived = new ArrayList<>();
      for (Rollout previous : rollouts.read()) {
        if (previous.getRolloutId().equals(rollout.getRolloutId())) {
          duplicateRollouts.inc();
          return;
        }
        if (previous.getSampleIndex() == rollout.getSampleIndex()) {
          out.get(FAILED)
              .output(
                  DeadLetters.ofRollout(
                      rollout,
                      STAGE,
                      "duplicate-sample-index",
                      IllegalArgumentException.class.getName(),
                      "sample "
                          + rollout.getSampleIndex()
                          + " of group "
                          + rollout.getGroupId()
                          + " already came from rollout "
                          + previous.getRolloutId()));
          return;
        }
        arrived.add(previous);
      }
      arrived.add(rollout);
      if (arrived.size() >= expectedSize) {
        completeGroups.inc();
        out.get(GROUPS).output(TraceGroup.of(element.getKey(), expectedSize, true, arrived));
        markEmitted(rollouts, groupSize, emitted, groupTimeout, forgetEmitted);
      } else {
        rollouts.add(rollout);
      }
    }

    @OnTimer("groupTimeout")
    public void onGroupTimeout(
        @Key String groupId,
        @StateId("rollouts") BagState<Rollout> rollouts,
        @StateId("groupSize") ValueState<Integer> groupSize,
        @StateId("emitted") ValueState<Boolean> emitted,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        MultiOutputReceiver out) {
      List<Rollout> arrived = readAll(rollouts);
      Integer expectedSize = groupSize.read();
      if (arrived.isEmpty() || expectedSize == null) {
        return;
      }
      timedOutGroups.inc();
      out.get(GROUPS).output(TraceGroup.of(groupId, expectedSize, false, arrived));
      markEmitted(rollouts, groupSize, emitted, groupTimeout, forgetEmitted);
    }

    @OnTimer("forgetEmitted")
    public void onForgetEmitted(@StateId("emitted") ValueState<Boolean> emitted) {
      forgottenMarkers.inc();
      emitted.clear();
    }

    @OnTimer("endOfInput")
    public void onEndOfInput(
        @Key String groupId,
        @StateId("rollouts") BagState<Rollout> rollouts,
        @StateId("groupSize") ValueState<Integer> groupSize,
        @StateId("emitted") ValueState<Boolean> emitted,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        MultiOutputReceiver out) {
      List<Rollout> arrived = readAll(rollouts);
      Integer expectedSize = groupSize.read();
      if (!arrived.isEmpty() && expectedSize != null) {
        endOfInputGroups.inc();
        out.get(GROUPS).output(TraceGroup.of(groupId, expectedSize, false, arrived));
      }
      // The input is over: nothing can be late any more, so drop every piece of state.
      rollouts.clear();
      groupSize.clear();
      emitted.clear();
      groupTimeout.clear();
      forgetEmitted.clear();
    }

    private void markEmitted(
        BagState<Rollout> rollouts,
        ValueState<Integer> groupSize,
        ValueState<Boolean> emitted,
        Timer groupTimeout,
        Timer forgetEmitted) {
      rollouts.clear();
      groupSize.clear();
      groupTimeout.clear();
      emitted.write(true);
      forgetEmitted
          .offset(Duration.millis(emittedMarkerTtlMs))
          .withNoOutputTimestamp()
          .setRelative();
    }

    private static List<Rollout> readAll(BagState<Rollout> rollouts) {
      List<Rollout> all = new ArrayList<>();
      rollouts.read().forEach(all::add);
      return all;
    }

    private static Counter counter(String name) {
      return StageMetrics.counter(name);
    }
  }
}
