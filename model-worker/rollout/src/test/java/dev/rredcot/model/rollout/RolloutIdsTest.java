package dev.rredcot.model.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RolloutIdsTest {

  @Test
  void idsAreBuiltOnlyFromPromptAttemptAndIndex() {
    String groupId = RolloutIds.groupId("arith-ab12-7", 1);
    assertEquals("arith-ab12-7#1", groupId);
    assertEquals("arith-ab12-7#1/5", RolloutIds.rolloutId(groupId, 5));
    assertEquals(groupId, RolloutIds.groupId("arith-ab12-7", 1), "stable across calls");
  }

  @Test
  void attemptsSeparateGroups() {
    assertNotEquals(RolloutIds.groupId("p", 0), RolloutIds.groupId("p", 1));
  }

  @Test
  void rejectsNegativeParts() {
    assertThrows(IllegalArgumentException.class, () -> RolloutIds.groupId("p", -1));
    assertThrows(IllegalArgumentException.class, () -> RolloutIds.rolloutId("g", -1));
  }
}
