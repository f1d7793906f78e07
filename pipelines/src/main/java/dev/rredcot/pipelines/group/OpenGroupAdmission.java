package dev.rredcot.pipelines.group;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * The cap on open groups of {@link GroupRollouts}: a stateful step before grouping that admits a
 * rollout of a group it already admitted, and a rollout that opens a new group only while fewer
 * than the cap are open; any other rollout is a {@value GroupRollouts#TOO_MANY_OPEN_GROUPS} dead
 * letter. Without it every distinct group id holds state until its timeout, so a flood of
 * single-member groups grows the job's state without bound.
 *
 * <p>Grouping state is per group id and Beam has no count across keys, so this step keys by a shard
 * of the group id ({@code floorMod(groupId.hashCode(), shards)}) and gives each shard an equal part
 * of the cap: the shards together never hold more than the cap, and up to {@code shards} workers
 * share the work. A full shard refuses a new group even when another has room.
 *
 * <p>A group stops counting when as many of its rollouts were admitted as its group size (it is
 * then complete at {@link GroupRollouts}), or one to two group timeouts after it was admitted: a
 * processing-time tick every {@code groupTimeoutMs} ages the shard's groups by one generation and
 * forgets those two generations old. So an open group at {@link GroupRollouts} (which emits it at
 * most one timeout after its first rollout) is always counted here, and the count overstates the
 * groups open there only by groups that completed with redelivered copies or were dead-lettered.
 * State per shard: one entry per counted group, at most the shard's part of the cap.
 */
final class OpenGroupAdmission extends DoFn<KV<Integer, Rollout>, Rollout> {
  private static final long serialVersionUID = 1L;

  /** Most shards the cap is split into. */
  static final int MAX_SHARDS = 64;

  private final long groupTimeoutMs;
  private final long maxOpenGroups;
  private final int shards;
  private final TupleTag<Rollout> admittedTag;
  private final TupleTag<DeadLetter> refusedTag;

  /** Group id to the generation in which it was admitted. */
  @StateId("openGroups")
  private final StateSpec<MapState<String, Long>> openSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

  /** Group id to how many of its rollouts were admitted. */
  @StateId("admittedMembers")
  private final StateSpec<MapState<String, Integer>> membersSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarIntCoder.of());

  /** Number of entries in {@code openGroups} (a map state has no size). */
  @StateId("openCount")
  private final StateSpec<ValueState<Integer>> countSpec = StateSpecs.value(VarIntCoder.of());

  /** The current generation; null while the shard has no open group and no tick is set. */
  @StateId("generation")
  private final StateSpec<ValueState<Long>> generationSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId("tick")
  private final TimerSpec tickSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  @TimerId("endOfInput")
  private final TimerSpec endOfInputSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  OpenGroupAdmission(
      long groupTimeoutMs,
      long maxOpenGroups,
      TupleTag<Rollout> admittedTag,
      TupleTag<DeadLetter> refusedTag) {
    this.groupTimeoutMs = groupTimeoutMs;
    this.maxOpenGroups = maxOpenGroups;
    this.shards = shards(maxOpenGroups);
    this.admittedTag = admittedTag;
    this.refusedTag = refusedTag;
  }

  /** The number of shards for a cap: one group per shard at least. */
  static int shards(long maxOpenGroups) {
    return (int) Math.min(MAX_SHARDS, maxOpenGroups);
  }

  /** The shard of a group id. */
  static int shardOf(String groupId, int shards) {
    return Math.floorMod(groupId.hashCode(), shards);
  }

  /** The part of the cap that shard {@code shard} holds: the parts add up to the cap. */
  long shardCap(int shard) {
    return maxOpenGroups / shards + (shard < maxOpenGroups % shards ? 1 : 0);
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, Rollout> element,
      BoundedWindow window,
      @StateId("openGroups") MapState<String, Long> open,
      @StateId("admittedMembers") MapState<String, Integer> members,
      @StateId("openCount") ValueState<Integer> count,
      @StateId("generation") ValueState<Long> generation,
      @TimerId("tick") Timer tick,
      @TimerId("endOfInput") Timer endOfInput,
      MultiOutputReceiver out) {
    Rollout rollout = element.getValue();
    String groupId = rollout.getGroupId();
    int shard = element.getKey();
    int openNow = count.read() == null ? 0 : count.read();
    Integer admitted = members.get(groupId).read();
    if (admitted == null) {
      if (openNow >= shardCap(shard)) {
        out.get(refusedTag)
            .output(
                DeadLetters.ofRollout(
                    rollout,
                    GroupRollouts.STAGE,
                    GroupRollouts.TOO_MANY_OPEN_GROUPS,
                    IllegalStateException.class.getName(),
                    "groupId "
                        + groupId
                        + " would open a group while "
                        + openNow
                        + " groups are open in its shard "
                        + shard
                        + " of "
                        + shards
                        + " (--max-open-groups "
                        + maxOpenGroups
                        + " across the job)"));
        return;
      }
      Long current = generation.read();
      if (current == null) {
        current = 0L;
        generation.write(current);
        tick.offset(Duration.millis(groupTimeoutMs)).withNoOutputTimestamp().setRelative();
        endOfInput.set(window.maxTimestamp());
      }
      open.put(groupId, current);
      openNow++;
      admitted = 0;
    }
    admitted++;
    if (admitted >= rollout.getGroupSize()) {
      // Complete at grouping: it holds no more state there.
      open.remove(groupId);
      members.remove(groupId);
      openNow--;
    } else {
      members.put(groupId, admitted);
    }
    count.write(openNow);
    out.get(admittedTag).output(rollout);
  }

  /** Ages the shard's groups by one generation and forgets those two generations old. */
  @OnTimer("tick")
  public void onTick(
      @StateId("openGroups") MapState<String, Long> open,
      @StateId("admittedMembers") MapState<String, Integer> members,
      @StateId("openCount") ValueState<Integer> count,
      @StateId("generation") ValueState<Long> generation,
      @TimerId("tick") Timer tick) {
    Long previous = generation.read();
    long current = previous == null ? 0L : previous + 1;
    List<String> expired = new ArrayList<>();
    int remaining = 0;
    for (Map.Entry<String, Long> entry : open.entries().read()) {
      if (entry.getValue() <= current - 2) {
        expired.add(entry.getKey());
      } else {
        remaining++;
      }
    }
    for (String groupId : expired) {
      open.remove(groupId);
      members.remove(groupId);
    }
    count.write(remaining);
    if (remaining == 0) {
      // Nothing to age: the next group to open starts the ticks again.
      generation.clear();
      count.clear();
      return;
    }
    generation.write(current);
    tick.offset(Duration.millis(groupTimeoutMs)).withNoOutputTimestamp().setRelative();
  }

  /** The input is over: no group can open or grow any more. */
  @OnTimer("endOfInput")
  public void onEndOfInput(
      @StateId("openGroups") MapState<String, Long> open,
      @StateId("admittedMembers") MapState<String, Integer> members,
      @StateId("openCount") ValueState<Integer> count,
      @StateId("generation") ValueState<Long> generation,
      @TimerId("tick") Timer tick) {
    open.clear();
    members.clear();
    count.clear();
    generation.clear();
    tick.clear();
  }
}
