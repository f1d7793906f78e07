package dev.rredcot.infra.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rredcot.pipelines.group.GroupRollouts;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What became of every rollout of a {@link FloodBenchmark} arm, counted by rollout id from the
 * topics: a flood rollout ends credited (its group timed out with one member) or as a {@value
 * GroupRollouts#TOO_MANY_OPEN_GROUPS} dead letter; a good group is credited when every member is.
 * An id both credited and dead-lettered counts as credited, as in the chaos run's audit.
 */
public final class FloodAccounting {
  private FloodAccounting() {}

  /**
   * One set of rollouts' outcomes.
   *
   * @param sent ids sent
   * @param credited of those, on {@code credited-rollouts}
   * @param tooManyOpenGroups of the rest, dead-lettered as {@code too-many-open-groups}
   * @param deadOther of the rest, dead-lettered for another reason, by {@code stage/reason}
   * @param unaccounted neither credited nor dead-lettered
   */
  public record Outcomes(
      @JsonProperty("sent") int sent,
      @JsonProperty("credited") int credited,
      @JsonProperty("too_many_open_groups") int tooManyOpenGroups,
      @JsonProperty("dead_other") Map<String, Integer> deadOther,
      @JsonProperty("unaccounted") int unaccounted) {

    /** Every id ended credited or dead-lettered. */
    public boolean allAccounted() {
      return unaccounted == 0;
    }
  }

  /**
   * Good groups' outcomes.
   *
   * @param groups groups sent (complete)
   * @param credited groups whose every member was credited
   * @param refused groups whose every member was a {@code too-many-open-groups} dead letter
   * @param other the rest (some members credited, some refused or dead for another reason, or not
   *     accounted yet)
   * @param rollouts the members' outcomes
   */
  public record GroupOutcomes(
      @JsonProperty("groups") int groups,
      @JsonProperty("credited") int credited,
      @JsonProperty("refused") int refused,
      @JsonProperty("other") int other,
      @JsonProperty("rollouts") Outcomes rollouts) {}

  /** The outcomes of {@code ids}, given the credited ids and the dead letters' reasons. */
  public static Outcomes outcomes(
      Iterable<String> ids, Set<String> credited, Map<String, String> deadReasons) {
    int sent = 0;
    int creditedCount = 0;
    int refused = 0;
    int unaccounted = 0;
    Map<String, Integer> deadOther = new TreeMap<>();
    for (String id : ids) {
      sent++;
      if (credited.contains(id)) {
        creditedCount++;
        continue;
      }
      String reason = deadReasons.get(id);
      if (reason == null) {
        unaccounted++;
      } else if (isTooManyOpenGroups(reason)) {
        refused++;
      } else {
        deadOther.merge(reason.replace('\t', '/'), 1, Integer::sum);
      }
    }
    return new Outcomes(sent, creditedCount, refused, deadOther, unaccounted);
  }

  /** The outcomes of complete groups, each given as its members' ids. */
  public static GroupOutcomes groupOutcomes(
      List<List<String>> groups, Set<String> credited, Map<String, String> deadReasons) {
    int creditedGroups = 0;
    int refusedGroups = 0;
    for (List<String> members : groups) {
      Outcomes group = outcomes(members, credited, deadReasons);
      if (group.credited() == group.sent()) {
        creditedGroups++;
      } else if (group.tooManyOpenGroups() == group.sent()) {
        refusedGroups++;
      }
    }
    return new GroupOutcomes(
        groups.size(),
        creditedGroups,
        refusedGroups,
        groups.size() - creditedGroups - refusedGroups,
        outcomes(groups.stream().flatMap(List::stream).toList(), credited, deadReasons));
  }

  /** {@code stage<TAB>reason} as the topic audit keeps it. */
  private static boolean isTooManyOpenGroups(String stageAndReason) {
    return stageAndReason.endsWith("\t" + GroupRollouts.TOO_MANY_OPEN_GROUPS);
  }
}
