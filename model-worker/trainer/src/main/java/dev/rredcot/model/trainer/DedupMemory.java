package dev.rredcot.model.trainer;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the trainer has consumed and trained, so that it takes no record twice: the next offset per
 * partition, and the groups already trained with their behaviour version, oldest first, of which it
 * forgets the oldest beyond {@link TrainerOptions#dedupMemoryGroups}. Its state goes into a {@link
 * TrainerProgress} and comes back from one.
 *
 * <p>Not thread-safe.
 */
final class DedupMemory {

  private final Map<Integer, Long> nextOffsets = new TreeMap<>();
  private final LinkedHashMap<String, Long> trainedGroups = new LinkedHashMap<>();
  private final int maxTrainedGroups;

  /**
   * The memory a progress file describes; beyond {@code maxTrainedGroups} (a smaller cap after a
   * restart) its oldest trained groups are forgotten at once.
   *
   * @param nextOffsets partition to the next offset to read
   * @param trainedGroups group id to behaviour version, oldest first
   */
  DedupMemory(
      Map<Integer, Long> nextOffsets, Map<String, Long> trainedGroups, int maxTrainedGroups) {
    this.maxTrainedGroups = maxTrainedGroups;
    this.nextOffsets.putAll(nextOffsets);
    this.trainedGroups.putAll(trainedGroups);
    forgetOldestTrainedBeyondCap();
  }

  /**
   * Notes the record at {@code offset} of {@code partition} as consumed.
   *
   * @return false, changing nothing, when that offset was consumed already
   */
  boolean consume(int partition, long offset) {
    Long next = nextOffsets.get(partition);
    if (next != null && offset < next) {
      return false;
    }
    nextOffsets.put(partition, offset + 1);
    return true;
  }

  /** Whether group {@code groupId} was trained (and is still remembered). */
  boolean wasTrained(String groupId) {
    return trainedGroups.containsKey(groupId);
  }

  /** Remembers group {@code groupId} as trained, forgetting the oldest beyond the cap. */
  void rememberTrained(String groupId, long behaviourVersion) {
    trainedGroups.put(groupId, behaviourVersion);
    forgetOldestTrainedBeyondCap();
  }

  /** Partition to the next offset to read (a read-only view). */
  Map<Integer, Long> nextOffsets() {
    return Collections.unmodifiableMap(nextOffsets);
  }

  /** Group id to behaviour version of the remembered trained groups, oldest first (a copy). */
  Map<String, Long> trainedGroups() {
    return new LinkedHashMap<>(trainedGroups);
  }

  private void forgetOldestTrainedBeyondCap() {
    Iterator<Map.Entry<String, Long>> oldest = trainedGroups.entrySet().iterator();
    while (trainedGroups.size() > maxTrainedGroups) {
      oldest.next();
      oldest.remove();
    }
  }
}
