package dev.rredcot.model.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.Problem;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EarlyAnswerTest {
  @Test
  void anEarlyAnswerIsACorrectSolutionPrefixFollowedByTheAnswerLine() {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    Random random = new Random(3);
    Set<Integer> keptLines = new HashSet<>();
    for (long seed = 0; seed < 200; seed++) {
      Problem problem = task.generate(seed);
      String trace = Pretrainer.earlyAnswer(task, problem, random);
      String answerLine = task.answerCue() + task.answerSuffix(problem.answer());
      assertTrue(trace.endsWith(answerLine), trace);
      String prefix = trace.substring(0, trace.length() - answerLine.length());
      assertTrue(problem.solution().startsWith(prefix), trace);
      assertTrue(task.verify(problem, trace).isCorrect(), trace);
      keptLines.add(task.splitSteps(prefix).size());
    }
    // 4-step problems: stopped after 0, 1, 2 or 3 lines, never after the whole chain.
    assertEquals(Set.of(0, 1, 2, 3), keptLines);
  }
}
