package dev.rredcot.model.trainer;

import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The trainer's groups in waiting: collects credited records by group until each group is complete
 * (its buffered members and the members the trainer sent to dead letters reach the count its
 * records expect), and hands complete groups out in the order they completed. Its state goes into a
 * {@link TrainerProgress} and comes back from one, so a restart forms the same batches.
 *
 * <p>Not thread-safe.
 */
final class GroupBuffer {

  private static final RecordCodec<CreditedRollout> CODEC = RecordCodec.of(CreditedRollout.class);

  /**
   * A buffered group.
   *
   * @param groupId the group's id
   * @param members its buffered records, by sample index
   */
  record Group(String groupId, List<CreditedRollout> members) {

    /** Copies the list. */
    Group {
      members = List.copyOf(members);
    }

    /** The version of the policy that sampled the group. */
    long behaviourVersion() {
      return members.get(0).getPolicyVersion();
    }
  }

  private final LinkedHashMap<String, Map<Integer, CreditedRollout>> pending =
      new LinkedHashMap<>();
  private final LinkedHashSet<String> ready = new LinkedHashSet<>();
  // Members of pending groups this trainer dead-lettered: they will never be buffered, so they
  // count towards the group's size, else the group would wait for them forever.
  private final Map<String, Set<String>> rejectedMembers = new HashMap<>();

  /**
   * The buffer a progress file describes: its dead-lettered members first, then its pending records
   * (single-object Avro, base64) in their order.
   */
  static GroupBuffer restore(
      List<String> pendingRecords, Map<String, List<String>> rejectedMembers) {
    GroupBuffer buffer = new GroupBuffer();
    rejectedMembers.forEach((g, ids) -> buffer.rejectedMembers.put(g, new HashSet<>(ids)));
    for (String encoded : pendingRecords) {
      buffer.add(CODEC.decode(Base64.getDecoder().decode(encoded)));
    }
    return buffer;
  }

  /**
   * How many members of its group reach the trainer: the credited count, or for records written
   * before it existed the group's arrived count.
   */
  static int expectedMembers(CreditedRollout record) {
    return record.getCreditedCount() > 0 ? record.getCreditedCount() : record.getGroupCount();
  }

  /** The record buffered as sample {@code sampleIndex} of group {@code groupId}, or null. */
  CreditedRollout buffered(String groupId, int sampleIndex) {
    Map<Integer, CreditedRollout> group = pending.get(groupId);
    return group == null ? null : group.get(sampleIndex);
  }

  /**
   * Why {@code record} cannot join its pending group (it expects another number of members than the
   * group's records do), or empty when it can or its group is not pending.
   */
  Optional<Rejection> disagreement(CreditedRollout record) {
    Map<Integer, CreditedRollout> group = pending.get(record.getGroupId());
    if (group == null) {
      return Optional.empty();
    }
    int expected = expectedMembers(group.values().iterator().next());
    if (expected == expectedMembers(record)) {
      return Optional.empty();
    }
    return Optional.of(
        new Rejection(
            "malformed-credited-rollout",
            "creditedCount/groupCount "
                + record.getCreditedCount()
                + "/"
                + record.getGroupCount()
                + " differs from its group's "
                + expected));
  }

  /** Buffers {@code record} in its group; the group is ready once complete. */
  void add(CreditedRollout record) {
    Map<Integer, CreditedRollout> group =
        pending.computeIfAbsent(record.getGroupId(), g -> new TreeMap<>());
    group.put(record.getSampleIndex(), record);
    if (isComplete(record.getGroupId(), group)) {
      ready.add(record.getGroupId());
    }
  }

  /**
   * Counts {@code record}, sent to dead letters, towards its group, which it may complete.
   *
   * @return true when its group is pending and complete (and so ready)
   */
  boolean countRejected(CreditedRollout record) {
    String groupId = record.getGroupId();
    Set<String> rejected = rejectedMembers.computeIfAbsent(groupId, g -> new HashSet<>());
    rejected.add(record.getRolloutId());
    Map<Integer, CreditedRollout> group = pending.get(groupId);
    if (group == null) {
      if (rejected.size() >= expectedMembers(record)) {
        // Every member went to dead letters: nothing of the group will come, forget it.
        rejectedMembers.remove(groupId);
      }
      return false;
    }
    if (!isComplete(groupId, group)) {
      return false;
    }
    ready.add(groupId);
    return true;
  }

  /** Complete groups waiting for a batch. */
  int readyCount() {
    return ready.size();
  }

  /** Groups buffered, complete or not. */
  int pendingCount() {
    return pending.size();
  }

  /** Every buffered group, complete or not, in the order its first record arrived. */
  List<Group> pendingGroups() {
    List<Group> out = new ArrayList<>();
    pending.forEach(
        (groupId, members) -> out.add(new Group(groupId, List.copyOf(members.values()))));
    return out;
  }

  /**
   * Takes up to {@code maxGroups} complete groups out of the buffer, the earliest complete first.
   */
  List<Group> takeReady(int maxGroups) {
    List<Group> out = new ArrayList<>();
    Iterator<String> it = ready.iterator();
    while (out.size() < maxGroups && it.hasNext()) {
      String groupId = it.next();
      it.remove();
      out.add(new Group(groupId, List.copyOf(pending.remove(groupId).values())));
      rejectedMembers.remove(groupId);
    }
    return out;
  }

  /** Forgets group {@code groupId}, complete or not, with its dead-lettered members. */
  void discard(String groupId) {
    ready.remove(groupId);
    rejectedMembers.remove(groupId);
    pending.remove(groupId);
  }

  /**
   * The buffered records (single-object Avro, base64) as a progress file keeps them: complete
   * groups first, in their ready order, so a restart forms the same batches, then the others.
   */
  List<String> encodedRecords() {
    List<String> out = new ArrayList<>();
    for (String groupId : ready) {
      encode(pending.get(groupId), out);
    }
    for (Map.Entry<String, Map<Integer, CreditedRollout>> entry : pending.entrySet()) {
      if (!ready.contains(entry.getKey())) {
        encode(entry.getValue(), out);
      }
    }
    return out;
  }

  /** Group id to the ids of its members sent to dead letters, for groups not trained yet. */
  Map<String, List<String>> rejectedMembers() {
    Map<String, List<String>> out = new HashMap<>();
    rejectedMembers.forEach((groupId, ids) -> out.put(groupId, new ArrayList<>(ids)));
    return out;
  }

  private boolean isComplete(String groupId, Map<Integer, CreditedRollout> group) {
    int rejected = rejectedMembers.getOrDefault(groupId, Set.of()).size();
    return group.size() + rejected >= expectedMembers(group.values().iterator().next());
  }

  private static void encode(Map<Integer, CreditedRollout> group, List<String> out) {
    for (CreditedRollout record : group.values()) {
      out.add(Base64.getEncoder().encodeToString(CODEC.encode(record)));
    }
  }
}
