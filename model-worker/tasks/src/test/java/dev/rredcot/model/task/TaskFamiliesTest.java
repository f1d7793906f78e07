package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskFamiliesTest {

  @Test
  void resolvesBothFamilies() throws UnknownTaskFamilyException {
    assertInstanceOf(ArithmeticTask.class, TaskFamilies.resolve("arith"));
    assertInstanceOf(CountdownTask.class, TaskFamilies.resolve("countdown"));
    assertEquals(Set.of("arith", "countdown"), TaskFamilies.names());
  }

  @Test
  void resolvedFamiliesGradeRecordsOfTheirName() throws UnknownTaskFamilyException {
    Problem arith = ArithmeticTask.defaults().generate(7);
    assertTrue(TaskFamilies.resolve(arith.family()).verify(arith, arith.solution()).isCorrect());
    Problem countdown =
        new CountdownTask(CountdownTask.Config.builder().optNumbers(5).build()).generate(7);
    TaskFamily family = TaskFamilies.resolve(countdown.family());
    assertTrue(family.verifyAnswer(countdown.answer(), countdown.solution()).isCorrect());
  }

  @Test
  void refusesUnknownNames() {
    UnknownTaskFamilyException e =
        assertThrows(UnknownTaskFamilyException.class, () -> TaskFamilies.resolve("chess"));
    assertEquals("chess", e.name());
    assertTrue(e.getMessage().contains("arith, countdown"), e.getMessage());
    assertThrows(UnknownTaskFamilyException.class, () -> TaskFamilies.resolve(null));
  }
}
