package dev.rredcot.pipelines.group;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.ingest.RolloutContract.Violation;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
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
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Collects the rollouts of each GRPO group (keyed by group id) in a stateful DoFn, checks the
 * invariants across them ({@link GroupContract}) and emits the group as a {@link TraceGroup}:
 *
 * <ul>
 *   <li>as soon as all {@code groupSize} distinct samples have arrived (complete);
 *   <li>when the group is still incomplete {@code groupTimeoutMs} of processing time after its
 *       first rollout arrived (partial, counted as {@code groups-partial-timeout});
 *   <li>at the end of a bounded input, with whatever arrived (partial, counted as {@code
 *       groups-partial-end-of-input}).
 * </ul>
 *
 * <p>Every rollout ends credited or dead-lettered, never both, with two exceptions below:
 *
 * <ul>
 *   <li>A rollout id that arrives again with the same content ({@link GroupContract#fingerprint})
 *       is one rollout delivered twice: the copy is ignored and counted ({@code
 *       duplicate-rollouts}), before or after its group was credited; the rollout is credited once.
 *   <li>A group whose records break a cross-record invariant while it is being collected (members
 *       disagree on a shared field, one id with two contents, one sample index with two ids) is
 *       dead-lettered member by member, every member with the same reason, and so is every later
 *       rollout of that group id: which record is the true one cannot be known.
 *   <li>After a group was credited only its members' ids and fingerprints stay: a new rollout for
 *       it is a {@code late-rollout} dead letter, and a known id with other content a {@code
 *       rollout-id-conflict} dead letter (the exception: that id is then both credited, with its
 *       first content, and dead-lettered; audits count it as credited).
 *   <li>While the cap of open groups is full, a rollout of a group that is not open (a new one, or
 *       a late or redelivered member of a group already credited) is a {@value
 *       #TOO_MANY_OPEN_GROUPS} dead letter: the cap is checked before the group's memory (the
 *       second exception: a redelivered copy of a credited rollout is then also dead-lettered).
 * </ul>
 *
 * <p>A processing-time timer forgets a credited or dead-lettered group after {@code
 * emittedMarkerTtlMs}; a later rollout with that group id then starts a new group. So state never
 * grows with the number of groups seen. At most {@code maxOpenGroups} groups are open at once
 * ({@link OpenGroupAdmission}): a rollout that would open one more is a {@value
 * #TOO_MANY_OPEN_GROUPS} dead letter, while the members of groups already open are still taken. A
 * flood of distinct group ids that never complete therefore holds at most the cap of open groups,
 * and, since each stays counted at least one timeout, opens at most the cap per timeout, so the
 * member ids it leaves behind as credited markers stay under {@code maxOpenGroups *
 * (emittedMarkerTtlMs / groupTimeoutMs + 2)} groups' worth. (Groups that complete free their place
 * at once; their markers grow with the rate of credited groups times {@code emittedMarkerTtlMs}.)
 * Dead letters carry the rollout re-encoded with the current schema, byte for byte the original
 * when the producer wrote that schema and its text in Unicode normal form C (ingest normalises it).
 */
public final class GroupRollouts
    extends PTransform<
        PCollection<Rollout>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "GroupRollouts";

  /** Dead-letter reason of a rollout that would open a group beyond the cap of open groups. */
  public static final String TOO_MANY_OPEN_GROUPS = "too-many-open-groups";

  /**
   * Open groups the job holds at most by default: room for several timeouts' worth of groups at the
   * loop's rates, and with kilobyte traces tens of megabytes of state.
   */
  public static final long DEFAULT_MAX_OPEN_GROUPS = 10_000;

  static final TupleTag<Rollout> ADMITTED = new TupleTag<Rollout>() {};
  static final TupleTag<DeadLetter> REFUSED = new TupleTag<DeadLetter>() {};

  static final TupleTag<TraceGroup> GROUPS = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final long groupTimeoutMs;
  private final long emittedMarkerTtlMs;
  private final long maxOpenGroups;

  private GroupRollouts(long groupTimeoutMs, long emittedMarkerTtlMs, long maxOpenGroups) {
    if (groupTimeoutMs <= 0 || emittedMarkerTtlMs <= 0) {
      throw new IllegalArgumentException(
          "groupTimeoutMs and emittedMarkerTtlMs must be > 0, got "
              + groupTimeoutMs
              + " and "
              + emittedMarkerTtlMs);
    }
    if (maxOpenGroups <= 0) {
      throw new IllegalArgumentException("--max-open-groups must be > 0, got " + maxOpenGroups);
    }
    this.groupTimeoutMs = groupTimeoutMs;
    this.emittedMarkerTtlMs = emittedMarkerTtlMs;
    this.maxOpenGroups = maxOpenGroups;
  }

  /**
   * Groups with the given partial-group timeout and late-rollout memory, both processing time, and
   * at most {@link #DEFAULT_MAX_OPEN_GROUPS} open groups.
   */
  public static GroupRollouts of(long groupTimeoutMs, long emittedMarkerTtlMs) {
    return new GroupRollouts(groupTimeoutMs, emittedMarkerTtlMs, DEFAULT_MAX_OPEN_GROUPS);
  }

  /** The same grouping with at most {@code value} groups open at once across the job. */
  public GroupRollouts withMaxOpenGroups(long value) {
    return new GroupRollouts(groupTimeoutMs, emittedMarkerTtlMs, value);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<Rollout> rollouts) {
    int shards = OpenGroupAdmission.shards(maxOpenGroups);
    PCollectionTuple admission =
        rollouts
            .apply(
                "KeyByShard",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.integers(), TypeDescriptor.of(Rollout.class)))
                    .via(
                        rollout ->
                            KV.of(
                                OpenGroupAdmission.shardOf(rollout.getGroupId(), shards), rollout)))
            .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.of(Rollout.class)))
            .apply(
                "AdmitOpenGroups",
                ParDo.of(new OpenGroupAdmission(groupTimeoutMs, maxOpenGroups, ADMITTED, REFUSED))
                    .withOutputTags(ADMITTED, TupleTagList.of(REFUSED)));
    admission.get(ADMITTED).setCoder(AvroCoder.of(Rollout.class));
    admission.get(REFUSED).setCoder(DeadLetters.coder());
    PCollectionTuple grouped =
        admission
            .get(ADMITTED)
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
    PCollection<DeadLetter> failures =
        PCollectionList.of(admission.get(REFUSED))
            .and(grouped.get(FAILED))
            .apply("FlattenGroupingDeadLetters", Flatten.pCollections())
            .setCoder(DeadLetters.coder());
    return WithFailures.Result.of(grouped.get(GROUPS), failures);
  }

  /** The stateful step: one key per group id. */
  static final class GroupRolloutsFn extends DoFn<KV<String, Rollout>, TraceGroup> {
    private static final long serialVersionUID = 1L;

    private final long groupTimeoutMs;
    private final long emittedMarkerTtlMs;

    private final Counter completeGroups = counter(StageMetrics.GROUPS_COMPLETE);
    private final Counter timedOutGroups = counter(StageMetrics.GROUPS_PARTIAL_TIMEOUT);
    private final Counter endOfInputGroups = counter(StageMetrics.GROUPS_PARTIAL_END_OF_INPUT);
    private final Counter deadGroups = counter(StageMetrics.GROUPS_DEAD_LETTERED);
    private final Counter duplicateRollouts = counter(StageMetrics.DUPLICATE_ROLLOUTS);
    private final Counter forgottenMarkers = counter(StageMetrics.EMITTED_MARKERS_EXPIRED);

    /** The members of the group being collected. */
    @StateId("rollouts")
    private final StateSpec<BagState<Rollout>> rolloutsSpec =
        StateSpecs.bag(AvroCoder.of(Rollout.class));

    /** After the group was credited: {@code rolloutId TAB fingerprint} of each member. */
    @StateId("credited")
    private final StateSpec<BagState<String>> creditedSpec = StateSpecs.bag(StringUtf8Coder.of());

    /** After the group was dead-lettered: the reason and message every later member gets. */
    @StateId("deadLettered")
    private final StateSpec<ValueState<List<String>>> deadLetteredSpec =
        StateSpecs.value(ListCoder.of(StringUtf8Coder.of()));

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
        @StateId("credited") BagState<String> credited,
        @StateId("deadLettered") ValueState<List<String>> deadLettered,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        @TimerId("endOfInput") Timer endOfInput,
        MultiOutputReceiver out) {
      Rollout rollout = element.getValue();
      List<String> verdict = deadLettered.read();
      if (verdict != null) {
        out.get(FAILED).output(deadLetter(rollout, verdict.get(0), verdict.get(1)));
        return;
      }
      List<String> creditedMembers = readAll(credited);
      if (!creditedMembers.isEmpty()) {
        afterCredit(rollout, creditedMembers, out);
        return;
      }
      List<Rollout> arrived = readAll(rollouts);
      if (arrived.isEmpty()) {
        // A timed-out group is output at its first rollout's timestamp. The hold this puts on the
        // output watermark does not delay a bounded run: endOfInput fires on the input watermark
        // and clears the timeout.
        groupTimeout
            .offset(Duration.millis(groupTimeoutMs))
            .withOutputTimestamp(timestamp)
            .setRelative();
        endOfInput.set(window.maxTimestamp());
      }
      Optional<Violation> violation = Optional.empty();
      String fingerprint = GroupContract.fingerprint(rollout);
      for (Rollout previous : arrived) {
        if (previous.getRolloutId().equals(rollout.getRolloutId())) {
          String previousFingerprint = GroupContract.fingerprint(previous);
          if (previousFingerprint.equals(fingerprint)) {
            duplicateRollouts.inc();
            return;
          }
          violation = Optional.of(GroupContract.idConflict(rollout, previousFingerprint, false));
          break;
        }
      }
      if (violation.isEmpty() && !arrived.isEmpty()) {
        // Members that are in the bag agree with each other, so one of them stands for all.
        violation = GroupContract.disagreement(rollout, arrived.get(0));
      }
      for (int i = 0; violation.isEmpty() && i < arrived.size(); i++) {
        if (arrived.get(i).getSampleIndex() == rollout.getSampleIndex()) {
          violation = Optional.of(GroupContract.sampleIndexTaken(rollout, arrived.get(i)));
        }
      }
      if (violation.isPresent()) {
        deadGroups.inc();
        Violation found = violation.get();
        for (Rollout member : arrived) {
          out.get(FAILED).output(deadLetter(member, found.reason(), found.message()));
        }
        out.get(FAILED).output(deadLetter(rollout, found.reason(), found.message()));
        rollouts.clear();
        groupTimeout.clear();
        deadLettered.write(List.of(found.reason(), found.message()));
        forgetLater(forgetEmitted);
        return;
      }
      arrived.add(rollout);
      int groupSize = rollout.getGroupSize();
      if (arrived.size() >= groupSize) {
        completeGroups.inc();
        out.get(GROUPS).output(TraceGroup.of(element.getKey(), groupSize, true, arrived));
        markCredited(arrived, rollouts, credited, groupTimeout, forgetEmitted);
      } else {
        rollouts.add(rollout);
      }
    }

    /** A rollout for a group that was credited: a redelivery, a conflict or late. */
    private void afterCredit(
        Rollout rollout, List<String> creditedMembers, MultiOutputReceiver out) {
      String prefix = rollout.getRolloutId() + "\t";
      for (String member : creditedMembers) {
        if (member.startsWith(prefix)) {
          String creditedFingerprint = member.substring(prefix.length());
          if (creditedFingerprint.equals(GroupContract.fingerprint(rollout))) {
            duplicateRollouts.inc();
            return;
          }
          Violation conflict = GroupContract.idConflict(rollout, creditedFingerprint, true);
          out.get(FAILED).output(deadLetter(rollout, conflict.reason(), conflict.message()));
          return;
        }
      }
      out.get(FAILED)
          .output(
              deadLetter(
                  rollout,
                  GroupContract.LATE_ROLLOUT,
                  "groupId "
                      + rollout.getGroupId()
                      + " was already credited; rollout "
                      + rollout.getRolloutId()
                      + " arrived too late"));
    }

    @OnTimer("groupTimeout")
    public void onGroupTimeout(
        @Key String groupId,
        @StateId("rollouts") BagState<Rollout> rollouts,
        @StateId("credited") BagState<String> credited,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        MultiOutputReceiver out) {
      List<Rollout> arrived = readAll(rollouts);
      if (arrived.isEmpty()) {
        return;
      }
      timedOutGroups.inc();
      out.get(GROUPS).output(TraceGroup.of(groupId, arrived.get(0).getGroupSize(), false, arrived));
      markCredited(arrived, rollouts, credited, groupTimeout, forgetEmitted);
    }

    @OnTimer("forgetEmitted")
    public void onForgetEmitted(
        @StateId("credited") BagState<String> credited,
        @StateId("deadLettered") ValueState<List<String>> deadLettered) {
      forgottenMarkers.inc();
      credited.clear();
      deadLettered.clear();
    }

    @OnTimer("endOfInput")
    public void onEndOfInput(
        @Key String groupId,
        @StateId("rollouts") BagState<Rollout> rollouts,
        @StateId("credited") BagState<String> credited,
        @StateId("deadLettered") ValueState<List<String>> deadLettered,
        @TimerId("groupTimeout") Timer groupTimeout,
        @TimerId("forgetEmitted") Timer forgetEmitted,
        MultiOutputReceiver out) {
      List<Rollout> arrived = readAll(rollouts);
      if (!arrived.isEmpty()) {
        endOfInputGroups.inc();
        out.get(GROUPS)
            .output(TraceGroup.of(groupId, arrived.get(0).getGroupSize(), false, arrived));
      }
      // The input is over: nothing can be late any more, so drop every piece of state.
      rollouts.clear();
      credited.clear();
      deadLettered.clear();
      groupTimeout.clear();
      forgetEmitted.clear();
    }

    private void markCredited(
        List<Rollout> members,
        BagState<Rollout> rollouts,
        BagState<String> credited,
        Timer groupTimeout,
        Timer forgetEmitted) {
      rollouts.clear();
      groupTimeout.clear();
      for (Rollout member : members) {
        credited.add(member.getRolloutId() + "\t" + GroupContract.fingerprint(member));
      }
      forgetLater(forgetEmitted);
    }

    private void forgetLater(Timer forgetEmitted) {
      forgetEmitted
          .offset(Duration.millis(emittedMarkerTtlMs))
          .withNoOutputTimestamp()
          .setRelative();
    }

    private static DeadLetter deadLetter(Rollout rollout, String reason, String message) {
      return DeadLetters.ofRollout(
          rollout, STAGE, reason, IllegalArgumentException.class.getName(), message);
    }

    private static <T> List<T> readAll(BagState<T> bag) {
      List<T> all = new ArrayList<>();
      bag.read().forEach(all::add);
      return all;
    }

    private static Counter counter(String name) {
      return StageMetrics.counter(name);
    }
  }
}
