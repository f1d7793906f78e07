package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.CountdownSolver;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.tokenizer.CharTokenizer;
import org.junit.jupiter.api.Test;

class SupervisedWarmUpTest {

  @Test
  void warmsUpOnCountdownTracesFromATraceWriter() {
    CharTokenizer tokenizer = CharTokenizer.countdown();
    ModelConfig config =
        ModelConfig.builder()
            .setVocabSize(tokenizer.vocabSize())
            .optDModel(32)
            .optHeads(2)
            .optLayers(1)
            .optDFF(64)
            .optMaxContext(64)
            .build();
    CountdownTask task = CountdownTask.defaults();
    CountdownSolver writer = new CountdownSolver(0.1, 0.5, task.oracle());
    try (Policy policy = Policy.create(config, tokenizer, 3)) {
      double first = SupervisedWarmUp.run(policy, task, writer, 1, 16, 3e-3, 1);
      double later = SupervisedWarmUp.run(policy, task, writer, 40, 16, 3e-3, 2);
      // An untrained model is near uniform over 25 ids (ln 25 = 3.2 nats); 40 steps learn the
      // format and the digits well below that.
      assertTrue(first > 2.5, "first loss " + first);
      assertTrue(later < 0.75 * first, "loss " + first + " -> " + later);
    }
  }
}
