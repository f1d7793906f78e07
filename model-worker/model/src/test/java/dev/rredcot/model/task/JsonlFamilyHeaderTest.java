package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code {"family": ...}} header of a JSONL task family: line end, cue, match, reward class.
 */
class JsonlFamilyHeaderTest {
  /** The example family shipped for BabyLlama; tests run in the module's directory. */
  static final Path BABYLLAMA_EXAMPLE =
      RepositoryFiles.path("infra/examples/babyllama-stories.jsonl");

  private static final Path BABYLLAMA_VOCAB = RepositoryFiles.babyLlama().resolve("tok105.model");

  @TempDir Path dir;

  private Path write(String... lines) throws IOException {
    Path file = dir.resolve("stories.jsonl");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private JsonlTaskFamily sentences() throws IOException {
    return JsonlTaskFamily.load(
        write(
            "{\"family\": {\"line_end\": \". \"}}",
            "{\"question\": \"Q: Ann had two cats. She got one more\", \"solution\": \"Ann had two"
                + " cats. Two and one make three\", \"answer\": \"3\"}"));
  }

  @Test
  void aLineEndOtherThanNewlineEndsThePromptEveryStepAndTheAnswerLine() throws IOException {
    JsonlTaskFamily family = sentences();
    Problem problem = family.generate(0);
    assertEquals(". ", family.lineEnd());
    assertEquals("Q: Ann had two cats. She got one more. ", problem.prompt());
    assertEquals("Ann had two cats. Two and one make three. A: 3. ", problem.solution());
    assertEquals("3. ", family.answerSuffix("3"));
    assertFalse(problem.prompt().contains("\n") || problem.solution().contains("\n"));
  }

  @Test
  void stepsSplitAfterTheLineEndAndStopBeforeTheAnswerLine() throws IOException {
    JsonlTaskFamily family = sentences();
    String trace = "Ann had two cats. Two and one make three. A: 3. ";
    assertEquals(
        List.of("Ann had two cats. ", "Two and one make three. "), family.splitSteps(trace));
    // A period inside a number is not a line end: the line end is ". ", with its space.
    assertEquals(List.of("It cost 2.5 coins. "), family.splitSteps("It cost 2.5 coins. A: 2.5. "));
    assertEquals(List.of("no cue. ", "at all"), family.splitSteps("no cue. at all"));
  }

  @Test
  void theAnswerEndsAtTheLineEnd() throws IOException {
    JsonlTaskFamily family = sentences();
    assertTrue(family.verifyAnswer("3", "Two and one make three. A: 3. ").isCorrect());
    assertTrue(family.verifyAnswer("3", "A: 3").isCorrect());
    Verification wrong = family.verifyAnswer("3", "A: 4. The end. ");
    assertEquals(Optional.of("4"), wrong.extractedAnswer());
    assertFalse(wrong.isCorrect());
  }

  @Test
  void aRewardClassDecidesRewardsByName() throws IOException {
    JsonlTaskFamily family =
        JsonlTaskFamily.load(
            write(
                "{\"family\": {\"line_end\": \". \", \"reward_class\": \""
                    + NumberWordReward.class.getName()
                    + "\"}}",
                "{\"question\": \"Q: one and two\", \"answer\": \"3\"}"));
    assertEquals(Optional.of(NumberWordReward.class.getName()), family.rewardClass());
    assertTrue(family.verifyAnswer("3", "One and two make three. A: three. ").isCorrect());
    assertTrue(family.verifyAnswer("3", "A: Three. ").isCorrect());
    assertTrue(family.verifyAnswer("3", "A: 3. ").isCorrect());
    assertEquals(Optional.of("four"), family.verifyAnswer("3", "A: four. ").extractedAnswer());
    assertFalse(family.verifyAnswer("3", "A: four. ").isCorrect());
    assertFalse(family.verifyAnswer("3", "A: many. ").isWellFormed());
    assertFalse(family.verifyAnswer("3", "no answer. ").isWellFormed());
  }

  @Test
  void headerAnswerMatchAndCueAreUsedAndTheListsMatchWins() throws Exception {
    Path file =
        write(
            "{\"family\": {\"answer_cue\": \"Answer: \", \"answer_match\": \"numeric\"}}",
            "{\"question\": \"half of one\", \"answer\": \"1/2\"}");
    JsonlTaskFamily family = JsonlTaskFamily.load(file);
    assertEquals("Answer: ", family.answerCue());
    assertEquals(AnswerMatch.NUMERIC, family.answerMatch());
    assertTrue(family.verifyAnswer("1/2", "Answer: 0.5\n").isCorrect());
    TaskFamily exact = TaskFamilyRegistry.parse(file + ":exact").resolve("stories");
    assertFalse(exact.verifyAnswer("1/2", "Answer: 0.5\n").isCorrect());
  }

  @Test
  void headerMistakesAreErrorsThatNameThem() throws IOException {
    IOException unknown =
        assertThrows(
            IOException.class,
            () ->
                JsonlTaskFamily.load(
                    write(
                        "{\"family\": {\"lineEnd\": \". \"}}",
                        "{\"question\":\"q\",\"answer\":\"a\"}")));
    assertTrue(
        unknown.getMessage().contains("unknown family option 'lineEnd'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains(":1:"), unknown.getMessage());
    IOException late =
        assertThrows(
            IOException.class,
            () ->
                JsonlTaskFamily.load(
                    write("{\"question\":\"q\",\"answer\":\"a\"}", "{\"family\": {}}")));
    assertTrue(
        late.getMessage().contains(":2: a {\"family\": ...} header must be"), late.getMessage());
    IOException both =
        assertThrows(
            IOException.class,
            () ->
                JsonlTaskFamily.load(
                    write(
                        "{\"family\": {\"answer_match\": \"math\", \"reward_class\": \"x.Y\"}}",
                        "{\"question\":\"q\",\"answer\":\"a\"}")));
    assertTrue(both.getMessage().contains("answer_match or reward_class"), both.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                JsonlTaskFamily.load(
                    write(
                        "{\"family\": {\"reward_class\": \"com.example.NoSuchReward\"}}",
                        "{\"question\":\"q\",\"answer\":\"a\"}")));
    assertTrue(
        missing.getMessage().contains("com.example.NoSuchReward is not on the classpath"),
        missing.getMessage());
    IllegalArgumentException notReward =
        assertThrows(
            IllegalArgumentException.class, () -> RewardFunction.load(String.class.getName()));
    assertTrue(notReward.getMessage().contains("does not implement"), notReward.getMessage());
  }

  @Test
  void theShippedBabyLlamaFamilyIsWrittenInTheModelsVocabulary() throws IOException {
    JsonlTaskFamily family = JsonlTaskFamily.load(BABYLLAMA_EXAMPLE);
    SentencePieceCharTokenizer tokenizer = SentencePieceCharTokenizer.read(BABYLLAMA_VOCAB);
    assertEquals("babyllama-stories", family.name());
    for (long seed = 0; seed < 40; seed++) {
      Problem problem = family.generate(seed);
      // Throws UnmappableTextException on any character the model cannot write.
      tokenizer.encode(problem.prompt() + problem.solution());
      assertTrue(family.verify(problem, problem.solution()).isCorrect(), problem.solution());
    }
  }
}
