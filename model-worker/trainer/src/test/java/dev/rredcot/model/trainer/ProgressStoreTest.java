package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressStoreTest {

  @TempDir Path dir;

  @Test
  void writtenProgressReadsBackEqual() throws IOException {
    ProgressStore store = new ProgressStore(dir);
    TrainerProgress progress =
        new TrainerProgress(
            7,
            Map.of(0, 12L, 3, 40L),
            List.of("AAEC", "AwQF"),
            Map.of("g1", 6L, "g2", 7L),
            Map.of("steps", 7L, "duplicates_ignored", 2L));
    store.write(progress);
    assertEquals(progress, store.read(7).orElseThrow());
  }

  @Test
  void trainedGroupsReadBackInTheOrderTheyWereTrained() throws IOException {
    // Neither sorted nor in any hash order: the order a trainer remembered them in.
    List<String> trainedOrder = new ArrayList<>();
    Map<String, Long> trained = new LinkedHashMap<>();
    for (int i = 0; i < 1_000; i++) {
      String groupId = "g" + ((i * 7_919) % 1_000) + "@v" + (i % 5) + "#0";
      trainedOrder.add(groupId);
      trained.put(groupId, (long) (i % 5));
    }
    ProgressStore store = new ProgressStore(dir);
    store.write(new TrainerProgress(3, Map.of(), List.of(), trained, Map.of()));
    assertEquals(
        trainedOrder, new ArrayList<>(store.read(3).orElseThrow().trainedGroups().keySet()));
  }

  @Test
  void missingVersionReadsAsEmpty() throws IOException {
    assertTrue(new ProgressStore(dir).read(3).isEmpty());
  }

  @Test
  void rewritingAVersionReplacesItWithoutLeavingTempFiles() throws IOException {
    ProgressStore store = new ProgressStore(dir);
    store.write(TrainerProgress.empty(1));
    TrainerProgress second =
        new TrainerProgress(1, Map.of(0, 5L), List.of(), Map.of(), Map.of("steps", 1L));
    store.write(second);
    assertEquals(second, store.read(1).orElseThrow());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }

  @Test
  void retainOnlyDeletesProgressOfVersionsWithoutCheckpoint() throws IOException {
    ProgressStore store = new ProgressStore(dir);
    for (long v = 1; v <= 4; v++) {
      store.write(TrainerProgress.empty(v));
    }
    assertEquals(2, store.retainOnly(Set.of(2L, 3L)));
    assertTrue(store.read(1).isEmpty());
    assertTrue(store.read(2).isPresent());
    assertTrue(store.read(4).isEmpty());
  }

  @Test
  void deleteLeftoversRemovesOnlyTempFiles() throws IOException {
    ProgressStore store = new ProgressStore(dir);
    store.write(TrainerProgress.empty(4));
    Files.writeString(dir.resolve(".tmp-killed.json"), "{\"checkpointVer");
    assertEquals(1, store.deleteLeftovers());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(store.file(4)), files.toList());
    }
  }
}
