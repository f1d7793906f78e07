package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ArithmeticTaskTest {

  private static final Problem EXAMPLE =
      new Problem(
          "example",
          ArithmeticTask.NAME,
          "Q: 37+25-18+9\n",
          "37+25=62\n62-18=44\n44+9=53\nA: 53\n",
          "53",
          Map.of());

  private final ArithmeticTask task = ArithmeticTask.defaults();

  @Test
  void sameSeedGivesSameProblem() {
    assertEquals(task.generate(42), task.generate(42));
    assertEquals(task.generate(42), ArithmeticTask.defaults().generate(42));
  }

  @Test
  void differentSeedsGiveDifferentProblems() {
    Set<String> prompts = new HashSet<>();
    for (long seed = 0; seed < 200; seed++) {
      prompts.add(task.generate(seed).prompt());
    }
    assertTrue(prompts.size() > 190, "only " + prompts.size() + " distinct prompts of 200");
  }

  @Test
  void idDependsOnFamilySeedAndConfig() {
    ArithmeticTask other =
        new ArithmeticTask(ArithmeticTask.Config.builder().optOperandRange(1, 9).build());
    assertTrue(task.generate(7).id().startsWith("arith-"));
    assertTrue(task.generate(7).id().endsWith("-7"));
    assertNotEquals(task.generate(7).id(), task.generate(8).id());
    assertNotEquals(task.generate(7).id(), other.generate(7).id());
  }

  @Test
  void generatedProblemsFollowTheFormatAndTheirSolutionIsCorrect() {
    Pattern prompt = Pattern.compile("Q: [0-9]+([+-][0-9]+){4}\n");
    Pattern step = Pattern.compile("-?[0-9]+[+-][0-9]+=-?[0-9]+\n");
    for (long seed = 0; seed < 500; seed++) {
      Problem problem = task.generate(seed);
      assertTrue(prompt.matcher(problem.prompt()).matches(), problem.prompt());
      List<String> steps = task.splitSteps(problem.solution());
      assertEquals(4, steps.size(), problem.solution());
      steps.forEach(line -> assertTrue(step.matcher(line).matches(), line));
      assertEquals(String.join("", steps) + "A: " + problem.answer() + "\n", problem.solution());
      assertEquals(1.0, task.verify(problem, problem.solution()).reward(), problem.solution());
      assertEquals(OptionalInt.empty(), task.firstWrongStep(problem, problem.solution()));
      assertEquals("4", problem.metadata().get("steps"));
    }
  }

  @Test
  void operandsStayInConfiguredRange() {
    ArithmeticTask small =
        new ArithmeticTask(
            ArithmeticTask.Config.builder()
                .optStepRange(2, 3)
                .optOperandRange(3, 5)
                .optOperators("*")
                .build());
    Set<Integer> stepCounts = new HashSet<>();
    for (long seed = 0; seed < 200; seed++) {
      ArithmeticTask.Expression e = ArithmeticTask.parsePrompt(small.generate(seed).prompt());
      stepCounts.add(e.steps());
      e.operands().forEach(x -> assertTrue(x >= 3 && x <= 5, "operand " + x));
      assertTrue(e.operators().matches("\\*+"));
    }
    assertEquals(Set.of(2, 3), stepCounts);
  }

  @Test
  void exampleSolutionMatchesTheDocumentedFormat() {
    ArithmeticTask.Expression e = ArithmeticTask.parsePrompt("Q: 37+25-18+9\n");
    assertEquals(EXAMPLE.solution(), e.solution());
    assertEquals(53, e.value());
    assertEquals("12-40=-28\nA: -28\n", ArithmeticTask.parsePrompt("Q: 12-40\n").solution());
  }

  @Test
  void configRejectsInvalidSettings() {
    assertThrows(
        IllegalArgumentException.class, () -> ArithmeticTask.Config.builder().optSteps(0).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ArithmeticTask.Config.builder().optOperandRange(5, 4).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ArithmeticTask.Config.builder().optOperandRange(-1, 4).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ArithmeticTask.Config.builder().optOperators("+/").build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ArithmeticTask.Config.builder().optOperators("").build());
    // 1000^21 overflows a long.
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ArithmeticTask.Config.builder()
                .optSteps(20)
                .optOperandRange(1, 1000)
                .optOperators("*")
                .build());
  }

  @Test
  void verifierGivesRewardOneForTheCorrectAnswer() {
    Verification v = task.verify(EXAMPLE, EXAMPLE.solution());
    assertEquals(1.0, v.reward());
    assertEquals(Optional.of("53"), v.extractedAnswer());
    assertEquals(Optional.empty(), v.failureReason());
  }

  @Test
  void verifierGivesRewardZeroForAWrongWellFormedAnswer() {
    Verification v = task.verify(EXAMPLE, "37+25=62\n62-18=44\n44+9=52\nA: 52\n");
    assertEquals(0.0, v.reward());
    assertEquals(Optional.of("52"), v.extractedAnswer());
    assertTrue(v.failureReason().orElseThrow().contains("wrong answer"));
  }

  @Test
  void verifierAcceptsAnAnswerWithoutReasoningSteps() {
    assertEquals(1.0, task.verifyAnswer("53", "A: 53\n").reward());
  }

  @Test
  void verifierRejectsEmptyTrace() {
    assertMalformed(task.verifyAnswer("53", ""), "empty");
  }

  @Test
  void verifierRejectsTraceWithoutAnswerLine() {
    assertMalformed(task.verifyAnswer("53", "37+25=62\n62-18=44\n44+9=53\n"), "no answer line");
    assertMalformed(task.verifyAnswer("53", "garbage 53"), "no answer line");
    // The cue must start a line.
    assertMalformed(task.verifyAnswer("53", "xA: 53\n"), "no answer line");
  }

  @Test
  void verifierRejectsNonIntegerAnswers() {
    assertMalformed(task.verifyAnswer("53", "A: abc\n"), "not an integer");
    assertMalformed(task.verifyAnswer("53", "A: \n"), "not an integer");
    assertMalformed(task.verifyAnswer("53", "A: 53 \n"), "not an integer");
    // Non-canonical integers are refused rather than silently normalised.
    assertMalformed(task.verifyAnswer("53", "A: 053\n"), "not an integer");
  }

  @Test
  void verifierRejectsAnswerLineWithoutTrailingNewline() {
    // Generation ends at the newline; without it the answer may have been cut off.
    assertMalformed(task.verifyAnswer("53", "44+9=53\nA: 53"), "not terminated");
  }

  @Test
  void verifierGradesTheFirstAnswerLine() {
    assertEquals(0.0, task.verifyAnswer("53", "A: 52\nA: 53\n").reward());
  }

  @Test
  void firstWrongStepFindsAnErrorInStepZero() {
    String trace = "37+25=61\n61-18=43\n43+9=52\nA: 52\n";
    assertEquals(OptionalInt.of(0), task.firstWrongStep(EXAMPLE, trace));
  }

  @Test
  void firstWrongStepFindsAnErrorInAMiddleStepAndAcceptsPropagation() {
    // Step 1 is wrong; step 2 is computed correctly from the wrong written value.
    String trace = "37+25=62\n62-18=45\n45+9=54\nA: 54\n";
    assertEquals(OptionalInt.of(1), task.firstWrongStep(EXAMPLE, trace));
  }

  @Test
  void firstWrongStepPointsAtTheAnswerLineWhenOnlyItIsWrong() {
    String trace = "37+25=62\n62-18=44\n44+9=53\nA: 54\n";
    assertEquals(OptionalInt.of(3), task.firstWrongStep(EXAMPLE, trace));
  }

  @Test
  void firstWrongStepIsEmptyWhenEverythingIsRight() {
    assertEquals(OptionalInt.empty(), task.firstWrongStep(EXAMPLE, EXAMPLE.solution()));
  }

  @Test
  void firstWrongStepFlagsALeftSideThatIsNotThePreviousResult() {
    // Line 1 restarts from the true value instead of the written 61: the chain is broken there.
    String trace = "37+25=61\n62-18=44\n44+9=53\nA: 53\n";
    assertEquals(OptionalInt.of(0), task.firstWrongStep(EXAMPLE, trace));
    String fixed = "37+25=62\n61-18=43\n43+9=52\nA: 52\n";
    assertEquals(OptionalInt.of(1), task.firstWrongStep(EXAMPLE, fixed));
  }

  @Test
  void firstWrongStepFlagsMalformedAndMissingLines() {
    assertEquals(OptionalInt.of(1), task.firstWrongStep(EXAMPLE, "37+25=62\n62+18=80\n"));
    assertEquals(OptionalInt.of(1), task.firstWrongStep(EXAMPLE, "37+25=62\nA: 62\n"));
    assertEquals(OptionalInt.of(0), task.firstWrongStep(EXAMPLE, ""));
    assertEquals(OptionalInt.of(3), task.firstWrongStep(EXAMPLE, "37+25=62\n62-18=44\n44+9=53\n"));
  }

  @Test
  void splitStepsKeepsNewlinesAndStopsAtTheAnswerLine() {
    assertEquals(
        List.of("37+25=62\n", "62-18=44\n", "44+9=53\n"), task.splitSteps(EXAMPLE.solution()));
    assertEquals(List.of("37+25=62\n", "62-1"), task.splitSteps("37+25=62\n62-1"));
    assertEquals(List.of(), task.splitSteps("A: 5\n"));
  }

  @Test
  void answerCueAndSuffixAreTheTextToTeacherForce() {
    assertEquals("A: ", task.answerCue());
    assertEquals("53\n", task.answerSuffix("53"));
    String prefix = String.join("", task.splitSteps(EXAMPLE.solution()));
    assertEquals(
        EXAMPLE.solution(), prefix + task.answerCue() + task.answerSuffix(EXAMPLE.answer()));
  }

  @Test
  void parsePromptRejectsOtherText() {
    assertThrows(IllegalArgumentException.class, () -> ArithmeticTask.parsePrompt("37+25\n"));
    assertThrows(IllegalArgumentException.class, () -> ArithmeticTask.parsePrompt("Q: 37+\n"));
    assertThrows(IllegalArgumentException.class, () -> ArithmeticTask.parsePrompt("Q: 37+2"));
  }

  private static void assertMalformed(Verification v, String reasonPart) {
    assertEquals(0.0, v.reward());
    assertFalse(v.isWellFormed(), "expected no extracted answer, got " + v.extractedAnswer());
    assertTrue(
        v.failureReason().orElseThrow().contains(reasonPart),
        "reason '" + v.failureReason().orElseThrow() + "' should mention '" + reasonPart + "'");
  }
}
