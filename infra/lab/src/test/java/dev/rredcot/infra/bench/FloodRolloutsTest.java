package dev.rredcot.infra.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.schemas.Rollout;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FloodRolloutsTest {

  @Test
  void everyFloodRolloutOpensAGroupOfItsOwnThatNeverCompletes() {
    FloodRollouts flood = new FloodRollouts(1_000, 8, 7);
    Set<String> groupIds = new HashSet<>();
    Set<String> rolloutIds = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      Rollout rollout = flood.floodRollout(i);
      groupIds.add(rollout.getGroupId());
      rolloutIds.add(rollout.getRolloutId());
      assertThat(rollout.getGroupSize(), is(8));
      assertThat(rollout.getSampleIndex(), is(0));
    }
    assertThat(groupIds.size(), is(1_000));
    assertThat(rolloutIds.size(), is(1_000));
  }

  @Test
  void floodRolloutsPassTheContractAtTheDoor() {
    // Only the cap on open groups may refuse them, not ingest.
    FloodRollouts flood = new FloodRollouts(300, 8, 7);
    RolloutContract contract = RolloutContract.defaults();
    for (int i = 0; i < 300; i++) {
      assertThat(contract.firstViolation(flood.floodRollout(i)).isEmpty(), is(true));
    }
  }

  @Test
  void goodGroupsAreSpreadWithFloodOnBothSides() {
    int[] slots = FloodRollouts.goodGroupSlots(200_000, 3);
    assertThat(slots.length, equalTo(3));
    assertThat(Arrays.stream(slots).boxed().toList(), contains(50_000, 100_000, 150_000));
  }

  @Test
  void refusesGroupsOfOne() {
    assertThrows(IllegalArgumentException.class, () -> new FloodRollouts(10, 1, 7));
  }
}
