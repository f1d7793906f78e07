package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskFamilyRegistryTest {

  @TempDir Path dir;

  private Path jsonl(String fileName, String... lines) throws IOException {
    return Files.write(dir.resolve(fileName), String.join("\n", lines).getBytes());
  }

  @Test
  void anEmptyListIsTheBuiltInFamilies() {
    assertSame(TaskFamilyRegistry.builtIn(), TaskFamilyRegistry.parse(""));
    assertEquals(Set.of("arith", "countdown"), TaskFamilyRegistry.parse(" ").names());
  }

  @Test
  void listsBuiltInsAndJsonlFilesWithNamesAndAnswerMatches() throws Exception {
    Path gsm = jsonl("gsm.jsonl", "{\"question\":\"Half of 1?\",\"answer\":\"1/2\"}");
    Path other = jsonl("other.jsonl", "{\"question\":\"q\",\"answer\":\"7\",\"solution\":\"s\"}");
    TaskFamilyRegistry registry =
        TaskFamilyRegistry.parse("arith, " + gsm + ":math, extra=" + other);
    assertEquals(Set.of("arith", "gsm", "extra"), registry.names());
    assertInstanceOf(ArithmeticTask.class, registry.resolve("arith"));
    JsonlTaskFamily half = (JsonlTaskFamily) registry.resolve("gsm");
    assertEquals(AnswerMatch.MATH, half.answerMatch());
    assertTrue(half.verifyAnswer("1/2", "It is a half.\nA: $\\boxed{0.5}$\n").isCorrect());
    assertEquals("A: 1/2\n", half.generate(0).solution(), "no solution: the answer line alone");
    JsonlTaskFamily extra = (JsonlTaskFamily) registry.resolve("extra");
    assertEquals(AnswerMatch.EXACT, extra.answerMatch());
    assertEquals("extra", extra.generate(1).family());
  }

  @Test
  void unknownNamesAreRefusedWithTheKnownOnes() throws Exception {
    TaskFamilyRegistry registry =
        TaskFamilyRegistry.parse(
            "countdown," + jsonl("t.jsonl", "{\"question\":\"q\",\"answer\":\"1\"}"));
    UnknownTaskFamilyException e =
        assertThrows(UnknownTaskFamilyException.class, () -> registry.resolve("arith"));
    assertTrue(e.getMessage().contains("countdown, t"), e.getMessage());
  }

  @Test
  void badEntriesNameThemselves() throws Exception {
    IllegalArgumentException notAFamily =
        assertThrows(IllegalArgumentException.class, () -> TaskFamilyRegistry.parse("chess"));
    assertTrue(notAFamily.getMessage().contains("chess"), notAFamily.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> TaskFamilyRegistry.parse(dir.resolve("none.jsonl").toString()));
    assertTrue(missing.getMessage().contains("none.jsonl"), missing.getMessage());
    Path twice = jsonl("arith.jsonl", "{\"question\":\"q\",\"answer\":\"1\"}");
    assertThrows(IllegalArgumentException.class, () -> TaskFamilyRegistry.parse("arith," + twice));
    assertThrows(IllegalArgumentException.class, () -> TaskFamilyRegistry.parse(twice + ":fuzzy"));
  }
}
