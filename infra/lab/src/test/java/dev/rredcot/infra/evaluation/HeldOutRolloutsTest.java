package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.testing.TinyPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The natural mix keeps whole groups, as sampled. */
class HeldOutRolloutsTest {
  @TempDir Path temp;

  @Test
  void theNaturalMixTakesEveryTraceOfEachGroup() throws Exception {
    Path store = TinyPolicy.store(temp.resolve("store"));
    try (Policy policy = Policy.load(new CheckpointStore(store, 4).latest().orElseThrow())) {
      BuiltInTask task = BuiltInTask.ARITH;
      List<EvaluationTrace> natural =
          HeldOutRollouts.sample(policy, task, task::atLevel, List.of(3), 8, 4, 40, 64, true, 1);
      assertEquals(8, natural.size());
      Map<String, Long> perPrompt =
          natural.stream()
              .collect(Collectors.groupingBy(t -> t.problem().id(), Collectors.counting()));
      assertEquals(Map.of(4L, 2L), countsOf(perPrompt), perPrompt.toString());
    }
  }

  private static Map<Long, Long> countsOf(Map<String, Long> perPrompt) {
    return perPrompt.values().stream()
        .collect(Collectors.groupingBy(n -> n, Collectors.counting()));
  }
}
