package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTaskFamilyTest {

  @TempDir Path dir;

  private Path write(String... lines) throws IOException {
    Path file = dir.resolve("capitals.jsonl");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private JsonlTaskFamily twoProblems() throws IOException {
    return JsonlTaskFamily.load(
        write(
            "{\"question\":\"Capital of France?\",\"solution\":\"France is a country.\\nIts"
                + " capital is Paris.\\nA: Paris\",\"answer\":\"Paris\"}",
            "",
            "{\"question\":\"Q: 2+3\\n\",\"solution\":\"2+3=5\\n\",\"answer\":\" 5 \"}"));
  }

  @Test
  void loadsEveryNonBlankLine() throws IOException {
    JsonlTaskFamily family = twoProblems();
    assertEquals(2, family.size());
    assertEquals("capitals", family.name());
  }

  @Test
  void generatePicksLinesDeterministicallyAndCoversThem() throws IOException {
    JsonlTaskFamily family = twoProblems();
    Set<String> lines = new HashSet<>();
    for (long seed = 0; seed < 50; seed++) {
      assertEquals(family.generate(seed), family.generate(seed));
      lines.add(family.generate(seed).metadata().get("line"));
    }
    assertEquals(Set.of("1", "3"), lines);
  }

  @Test
  void problemsGetPromptNewlineAndACompleteSolution() throws IOException {
    JsonlTaskFamily family = twoProblems();
    Problem france = findByLine(family, "1");
    assertEquals("Capital of France?\n", france.prompt());
    assertEquals("France is a country.\nIts capital is Paris.\nA: Paris\n", france.solution());
    Problem sum = findByLine(family, "3");
    assertEquals("Q: 2+3\n", sum.prompt());
    assertEquals("2+3=5\nA: 5\n", sum.solution());
    assertEquals("5", sum.answer());
    assertEquals(1.0, family.verify(sum, sum.solution()).reward());
  }

  @Test
  void verifyComparesTheTrimmedTextAfterTheLastCue() throws IOException {
    JsonlTaskFamily family = twoProblems();
    assertEquals(1.0, family.verifyAnswer("Paris", "A: Lyon? no.\nA:  Paris \n").reward());
    assertEquals(1.0, family.verifyAnswer(" Paris", "thinking\nA: Paris").reward());
    Verification wrong = family.verifyAnswer("Paris", "A: Lyon\n");
    assertEquals(0.0, wrong.reward());
    assertEquals(Optional.of("Lyon"), wrong.extractedAnswer());
    assertEquals(0.0, family.verifyAnswer("Paris", "Paris").reward());
    assertTrue(family.verifyAnswer("Paris", "Paris").failureReason().orElseThrow().contains("cue"));
    assertEquals(0.0, family.verifyAnswer("Paris", "").reward());
    assertEquals(0.0, family.verifyAnswer("Paris", "A:   \n").reward());
  }

  @Test
  void customCueIsUsed() throws IOException {
    JsonlTaskFamily family =
        JsonlTaskFamily.load(
            write("{\"question\":\"q\",\"solution\":\"s\",\"answer\":\"42\"}"),
            "custom",
            "The answer is ");
    assertEquals("The answer is ", family.answerCue());
    assertEquals(1.0, family.verifyAnswer("42", "so The answer is 42\n").reward());
    assertEquals("s\nThe answer is 42\n", family.generate(0).solution());
  }

  @Test
  void firstWrongStepComparesWithTheReferenceLines() throws IOException {
    JsonlTaskFamily family = twoProblems();
    Problem france = findByLine(family, "1");
    assertEquals(OptionalInt.empty(), family.firstWrongStep(france, france.solution()));
    assertEquals(
        OptionalInt.of(1),
        family.firstWrongStep(france, "France is a country.\nIts capital is Lyon.\nA: Lyon\n"));
    assertEquals(
        OptionalInt.of(2),
        family.firstWrongStep(france, "France is a country.\nIts capital is Paris.\nA: Nice\n"));
    assertEquals(
        List.of("France is a country.\n", "Its capital is Paris.\n"),
        family.splitSteps(france.solution()));
  }

  @Test
  void malformedLineIsReportedWithItsLineNumber() throws IOException {
    Path file =
        write(
            "{\"question\":\"a\",\"solution\":\"b\",\"answer\":\"c\"}",
            "{\"question\":\"a\",\"solution\":\"b\"",
            "{\"question\":\"a\",\"solution\":\"b\",\"answer\":\"c\"}");
    IOException e = assertThrows(IOException.class, () -> JsonlTaskFamily.load(file));
    assertTrue(e.getMessage().contains("capitals.jsonl:2:"), e.getMessage());
  }

  @Test
  void missingOrNonStringFieldIsReportedWithItsLineNumber() throws IOException {
    Path file =
        write(
            "{\"question\":\"a\",\"solution\":\"b\",\"answer\":\"c\"}",
            "{\"question\":\"a\",\"solution\":\"b\",\"answer\":\"c\"}",
            "{\"question\":\"a\",\"solution\":\"b\",\"answer\":7}");
    IOException e = assertThrows(IOException.class, () -> JsonlTaskFamily.load(file));
    assertTrue(e.getMessage().contains(":3:"), e.getMessage());
    assertTrue(e.getMessage().contains("'answer'"), e.getMessage());
  }

  @Test
  void emptyFileIsRefused() throws IOException {
    Path file = dir.resolve("empty.jsonl");
    Files.writeString(file, "\n\n");
    assertThrows(IOException.class, () -> JsonlTaskFamily.load(file));
  }

  private static Problem findByLine(JsonlTaskFamily family, String line) {
    for (long seed = 0; seed < 100; seed++) {
      Problem problem = family.generate(seed);
      if (problem.metadata().get("line").equals(line)) {
        return problem;
      }
    }
    throw new AssertionError("no seed picks line " + line);
  }
}
