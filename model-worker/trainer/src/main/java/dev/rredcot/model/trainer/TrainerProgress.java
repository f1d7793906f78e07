package dev.rredcot.model.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the trainer had consumed when it wrote a checkpoint, so a restart from that checkpoint
 * neither retrains nor skips records: the next offset per partition, the records read but not yet
 * trained, and the groups already trained (for deduplication).
 *
 * @param checkpointVersion the checkpoint this progress belongs to
 * @param nextOffsets partition of {@code credited-rollouts} to the next offset to read
 * @param pendingRecords buffered, untrained records (single-object Avro, base64)
 * @param trainedGroups group id to its behaviour policy version, for groups already trained, oldest
 *     first: the order is kept through the JSON file, so that a restarted trainer forgets the
 *     oldest groups first when its dedup memory is full, as the trainer before it would have
 * @param counters cumulative {@link TrainerStats} counters by name
 * @param rejectedMembers group id to the ids of its rollouts the trainer sent to dead letters while
 *     the group was pending (they count towards completing it); empty in older progress files
 */
public record TrainerProgress(
    @JsonProperty("checkpointVersion") long checkpointVersion,
    @JsonProperty("nextOffsets") Map<Integer, Long> nextOffsets,
    @JsonProperty("pendingRecords") List<String> pendingRecords,
    @JsonProperty("trainedGroups") Map<String, Long> trainedGroups,
    @JsonProperty("counters") Map<String, Long> counters,
    @JsonProperty("rejectedMembers") Map<String, List<String>> rejectedMembers) {

  /** Copies the collections. */
  public TrainerProgress {
    nextOffsets = Map.copyOf(nextOffsets);
    pendingRecords = List.copyOf(pendingRecords);
    // Not Map.copyOf: its iteration order is unspecified, and eviction relies on this order.
    trainedGroups = Collections.unmodifiableMap(new LinkedHashMap<>(trainedGroups));
    counters = Map.copyOf(counters);
    rejectedMembers = rejectedMembers == null ? Map.of() : Map.copyOf(rejectedMembers);
  }

  /** Progress without rejected members. */
  public TrainerProgress(
      long checkpointVersion,
      Map<Integer, Long> nextOffsets,
      List<String> pendingRecords,
      Map<String, Long> trainedGroups,
      Map<String, Long> counters) {
    this(checkpointVersion, nextOffsets, pendingRecords, trainedGroups, counters, Map.of());
  }

  /** Progress of a checkpoint that no trainer wrote (e.g. the initial policy): nothing read. */
  public static TrainerProgress empty(long checkpointVersion) {
    return new TrainerProgress(checkpointVersion, Map.of(), List.of(), Map.of(), Map.of());
  }
}
