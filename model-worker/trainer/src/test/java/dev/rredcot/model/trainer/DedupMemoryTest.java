package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the trainer remembers the offsets it consumed and the groups it trained. */
class DedupMemoryTest {

  private static DedupMemory empty(int maxTrainedGroups) {
    return new DedupMemory(Map.of(), Map.of(), maxTrainedGroups);
  }

  private static Map<String, Long> oldestFirst(String... groupIds) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < groupIds.length; i++) {
      out.put(groupIds[i], (long) i);
    }
    return out;
  }

  @Test
  void anOffsetIsConsumedOnceAndAllBeforeItCountAsConsumed() {
    DedupMemory memory = empty(10);
    assertTrue(memory.consume(0, 5), "a partition never read starts anywhere");
    assertFalse(memory.consume(0, 5), "the same offset again");
    assertFalse(memory.consume(0, 3), "an earlier offset");
    assertTrue(memory.consume(0, 6));
    assertEquals(Map.of(0, 7L), memory.nextOffsets());
  }

  @Test
  void aConsumedOffsetAgainChangesNothing() {
    DedupMemory memory = new DedupMemory(Map.of(0, 10L), Map.of(), 10);
    memory.consume(0, 4);
    assertEquals(Map.of(0, 10L), memory.nextOffsets());
  }

  @Test
  void partitionsAreConsumedIndependently() {
    DedupMemory memory = new DedupMemory(Map.of(0, 10L), Map.of(), 10);
    assertTrue(memory.consume(1, 0));
    assertFalse(memory.consume(0, 9));
    assertEquals(Map.of(0, 10L, 1, 1L), memory.nextOffsets());
  }

  @Test
  void theNextOffsetsAreAReadOnlyView() {
    DedupMemory memory = empty(10);
    Map<Integer, Long> view = memory.nextOffsets();
    memory.consume(2, 0);
    assertEquals(Map.of(2, 1L), view);
    assertThrows(UnsupportedOperationException.class, () -> view.put(3, 0L));
  }

  @Test
  void aTrainedGroupIsRememberedWithItsBehaviourVersion() {
    DedupMemory memory = empty(10);
    assertFalse(memory.wasTrained("g"));
    memory.rememberTrained("g", 4);
    assertTrue(memory.wasTrained("g"));
    assertEquals(Map.of("g", 4L), memory.trainedGroups());
  }

  @Test
  void beyondTheCapTheOldestTrainedGroupIsForgotten() {
    DedupMemory memory = empty(2);
    memory.rememberTrained("a", 0);
    memory.rememberTrained("b", 0);
    memory.rememberTrained("c", 1);
    assertFalse(memory.wasTrained("a"));
    assertEquals(List.of("b", "c"), List.copyOf(memory.trainedGroups().keySet()));
  }

  @Test
  void aRestartWithASmallerCapForgetsTheOldestRestoredGroups() {
    // The progress file lists the groups oldest first; a smaller cap keeps the newest.
    DedupMemory memory = new DedupMemory(Map.of(), oldestFirst("a", "b", "c", "d"), 2);
    assertEquals(List.of("c", "d"), List.copyOf(memory.trainedGroups().keySet()));
    assertEquals(Map.of("c", 2L, "d", 3L), memory.trainedGroups());
  }

  @Test
  void restoredMemoryKeepsTheOrderSoTheOldestIsForgottenFirst() {
    DedupMemory memory = new DedupMemory(Map.of(), oldestFirst("z", "a"), 2);
    memory.rememberTrained("m", 5);
    assertEquals(List.of("a", "m"), List.copyOf(memory.trainedGroups().keySet()));
  }

  @Test
  void theTrainedGroupsHandedOutAreACopy() {
    DedupMemory memory = empty(10);
    memory.rememberTrained("g", 0);
    memory.trainedGroups().clear();
    assertTrue(memory.wasTrained("g"));
  }
}
