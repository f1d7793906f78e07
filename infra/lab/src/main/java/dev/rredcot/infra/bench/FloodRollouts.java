package dev.rredcot.infra.bench;

import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;

/**
 * The input of a {@link FloodBenchmark}: a flood of single-member groups (each rollout the only one
 * sent of a group of {@link #groupSize()}, under a group id of its own, so every group stays open
 * until the credit job's group timeout) with complete groups of ordinary rollouts interleaved at
 * even intervals, in the order they are sent.
 *
 * <p>Flood rollouts are valid rollouts ({@link SyntheticRollouts} sample 0 of a few template
 * groups, relabelled): the job cannot refuse them at the door, only the cap on open groups can.
 * Flood group ids are {@code flood-g<i>}, rollout ids {@code flood-g<i>-0}; good groups are {@link
 * SyntheticRollouts} groups of their own seed.
 */
public final class FloodRollouts {
  /** Prefix of every flood group id. */
  public static final String FLOOD_GROUP_PREFIX = "flood-g";

  private static final int TEMPLATES = 256;

  private final int floodGroups;
  private final int groupSize;
  private final List<Rollout> templates;

  /**
   * A flood of {@code floodGroups} groups of size {@code groupSize}, one rollout of each sent.
   *
   * @throws IllegalArgumentException when {@code floodGroups} is not positive or {@code groupSize}
   *     is below 2 (a group of one is complete at its first rollout and holds nothing open)
   */
  public FloodRollouts(int floodGroups, int groupSize, long seed) {
    if (floodGroups < 1 || groupSize < 2) {
      throw new IllegalArgumentException(
          "the flood needs at least one group and a group size of at least 2 (a group of one"
              + " is complete at once), got "
              + floodGroups
              + " groups of "
              + groupSize);
    }
    this.floodGroups = floodGroups;
    this.groupSize = groupSize;
    SyntheticRollouts source =
        SyntheticRollouts.builder().optSeed(seed).optGroupSize(groupSize).build();
    this.templates = new ArrayList<>(TEMPLATES);
    for (int i = 0; i < TEMPLATES; i++) {
      templates.add(source.group(i).get(0));
    }
  }

  public int floodGroups() {
    return floodGroups;
  }

  public int groupSize() {
    return groupSize;
  }

  /** The group id of flood group {@code index}. */
  public static String floodGroupId(int index) {
    return FLOOD_GROUP_PREFIX + index;
  }

  /** The one rollout sent of flood group {@code index}. */
  public Rollout floodRollout(int index) {
    String groupId = floodGroupId(index);
    return Rollout.newBuilder(templates.get(index % TEMPLATES))
        .setGroupId(groupId)
        .setRolloutId(groupId + "-0")
        .build();
  }

  /**
   * Where the good groups go between flood rollouts: {@code slots[k]} is the number of flood
   * rollouts sent before good group {@code k}, spread evenly so that the first and last good group
   * have flood on both sides.
   */
  public static int[] goodGroupSlots(int floodRollouts, int goodGroups) {
    int[] slots = new int[goodGroups];
    for (int k = 0; k < goodGroups; k++) {
      slots[k] = (int) ((long) floodRollouts * (k + 1) / (goodGroups + 1));
    }
    return slots;
  }
}
