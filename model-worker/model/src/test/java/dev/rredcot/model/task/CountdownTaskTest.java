package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.tokenizer.CharTokenizer;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class CountdownTaskTest {

  private final CountdownTask task = CountdownTask.defaults();

  /** Numbers 3 5 25 50, target 75: 50+25 reaches it in one move. */
  private final Problem easy = problem(List.of(3L, 5L, 25L, 50L), 75);

  /** Numbers 2 3 7, target 20: only (7+3)*2 makes it. */
  private final Problem twenty = problem(List.of(2L, 3L, 7L), 20);

  private static Problem problem(List<Long> numbers, long target) {
    CountdownTask.Instance instance = new CountdownTask.Instance(numbers, target);
    return new Problem(
        "countdown-test",
        CountdownTask.NAME,
        instance.prompt(),
        "",
        instance.referenceAnswer(),
        Map.of());
  }

  private Verification verify(Problem problem, String trace) {
    return task.verify(problem, trace);
  }

  @Test
  void promptAndReferenceAnswerCarryTheInstance() {
    assertEquals("Q: 3 5 25 50 -> 75\n", easy.prompt());
    assertEquals("75:3 5 25 50", easy.answer());
    CountdownTask.Instance parsed = CountdownTask.Instance.parseReference(easy.answer());
    assertEquals(CountdownTask.Instance.parsePrompt(easy.prompt()), parsed);
    assertEquals("75\n", task.answerSuffix(easy.answer()));
    assertEquals("75\n", task.answerSuffix("75"));
    assertThrows(IllegalArgumentException.class, () -> task.verifyAnswer("75", "A: 75\n"));
  }

  @Test
  void validTraceIsCorrect() {
    assertTrue(verify(easy, "50+25=75\nA: 75\n").isCorrect());
    assertTrue(verify(easy, "25+50=75\nA: 75\n").isCorrect(), "+ takes either order");
    assertTrue(verify(easy, "5-3=2\n50+25=75\nA: 75\n").isCorrect(), "extra valid steps are fine");
    assertEquals(OptionalInt.empty(), task.firstWrongStep(easy, "50+25=75\nA: 75\n"));
    assertEquals(OptionalInt.empty(), task.firstDoomedStep(easy, "50+25=75\nA: 75\n"));
  }

  @Test
  void badArithmeticIsWrong() {
    Verification v = verify(easy, "50+25=76\n76-1=75\nA: 75\n");
    assertFalse(v.isCorrect());
    assertTrue(v.failureReason().orElseThrow().contains("wrong arithmetic"), v.toString());
    assertEquals(OptionalInt.of(0), task.firstWrongStep(easy, "50+25=76\nA: 75\n"));
  }

  @Test
  void reusedNumberIsWrong() {
    String trace = "25+25=50\n50+25=75\nA: 75\n";
    Verification v = verify(easy, trace);
    assertFalse(v.isCorrect());
    assertTrue(v.failureReason().orElseThrow().contains("25 is not available"), v.toString());
    assertEquals(OptionalInt.of(0), task.firstWrongStep(easy, trace));
    // A used-up number is not available any more either.
    assertEquals(OptionalInt.of(1), task.firstWrongStep(easy, "5*3=15\n5+50=55\nA: 55\n"));
  }

  @Test
  void unavailableNumberIsWrong() {
    Verification v = verify(easy, "3*25=75\nA: 75\n");
    assertTrue(v.isCorrect(), "3 and 25 are both given");
    Verification bad = verify(easy, "70+5=75\nA: 75\n");
    assertFalse(bad.isCorrect());
    assertTrue(bad.failureReason().orElseThrow().contains("70 is not available"), bad.toString());
  }

  @Test
  void divisionMustBeExactAndDifferencesPositive() {
    Problem p = problem(List.of(7L, 2L, 10L), 5);
    assertTrue(verify(p, "10/2=5\nA: 5\n").isCorrect());
    Verification inexact = verify(p, "7/2=3\n3+2=5\nA: 5\n");
    assertFalse(inexact.isCorrect());
    assertTrue(inexact.failureReason().orElseThrow().contains("not exact"), inexact.toString());
    Verification negative = verify(p, "2-7=5\nA: 5\n");
    assertFalse(negative.isCorrect());
    assertTrue(negative.failureReason().orElseThrow().contains("positive"), negative.toString());
  }

  @Test
  void targetNotReachedIsWrongEvenWhenTheAnswerClaimsIt() {
    Verification v = verify(easy, "50+5=55\n55+3=58\nA: 75\n");
    assertFalse(v.isCorrect());
    assertTrue(v.failureReason().orElseThrow().contains("not reached"), v.toString());
    assertEquals(OptionalInt.of(2), task.firstWrongStep(easy, "50+5=55\n55+3=58\nA: 75\n"));
    // The target made and then used up is no longer available.
    assertFalse(verify(easy, "50+25=75\n75-5=70\nA: 75\n").isCorrect());
    // The target reached but a different number answered.
    assertFalse(verify(easy, "50+25=75\nA: 74\n").isCorrect());
  }

  @Test
  void giveUpIsAWellFormedWrongAnswer() {
    Verification v = verify(easy, "50+5=55\nA: ?\n");
    assertFalse(v.isCorrect());
    assertTrue(v.isWellFormed());
    assertEquals("?", v.extractedAnswer().orElseThrow());
    assertEquals("gave up", v.failureReason().orElseThrow());
  }

  @Test
  void malformedOutputs() {
    assertFalse(verify(easy, "").isWellFormed());
    assertFalse(verify(easy, "50+25=75\n").isWellFormed(), "no answer line");
    assertFalse(verify(easy, "50+25=75\nA: 75").isWellFormed(), "unterminated answer line");
    assertFalse(verify(easy, "50+25=75\nA: x\n").isWellFormed());
    assertEquals(OptionalInt.of(1), task.firstWrongStep(easy, "50+25=75\n"));
    assertEquals(OptionalInt.of(0), task.firstWrongStep(easy, "50 + 25 = 75\nA: 75\n"));
  }

  @Test
  void firstDoomedStepFindsTheDeadEndBeforeTheFirstWrongLine() {
    // 2 3 7 -> 20: only (7+3)*2 makes it, so 3*7 dooms at once although every line is valid.
    assertTrue(task.oracle().reachable(List.of(2L, 3L, 7L), 20));
    String doomed = "7*3=21\n21-2=19\nA: 19\n";
    assertEquals(OptionalInt.of(0), task.firstDoomedStep(twenty, doomed));
    assertEquals(
        OptionalInt.of(2), task.firstWrongStep(twenty, doomed), "only the answer is wrong");
    String late = "7+3=10\n10+2=12\nA: ?\n";
    assertEquals(OptionalInt.of(1), task.firstDoomedStep(twenty, late));
    assertEquals(OptionalInt.empty(), task.firstDoomedStep(twenty, "7+3=10\n10*2=20\nA: 20\n"));
    // Still reachable after every step line, but gave up: the answer line is the doomed one.
    assertEquals(OptionalInt.of(1), task.firstDoomedStep(twenty, "7+3=10\nA: ?\n"));
    // An invalid line dooms the trace where it stands.
    assertEquals(OptionalInt.of(1), task.firstDoomedStep(twenty, "7+3=10\n10*2=21\nA: 21\n"));
  }

  @Test
  void generatorGuaranteesASolutionAtTheConfiguredDistance() {
    for (long seed = 0; seed < 300; seed++) {
      Problem problem = task.generate(seed);
      assertEquals(problem, task.generate(seed), "deterministic");
      assertTrue(task.verify(problem, problem.solution()).isCorrect(), problem.toString());
      assertEquals(OptionalInt.empty(), task.firstDoomedStep(problem, problem.solution()));
      assertEquals(3, task.splitSteps(problem.solution()).size());
      CountdownTask.Instance instance = CountdownTask.Instance.parsePrompt(problem.prompt());
      assertEquals(4, instance.numbers().size());
      assertTrue(instance.numbers().stream().allMatch(n -> n >= 1 && n <= 6));
      assertTrue(instance.target() >= 10 && instance.target() <= 40);
      assertEquals(
          OptionalInt.of(3), task.oracle().shortestSolution(instance.numbers(), instance.target()));
      assertTrue(problem.id().startsWith("countdown-"));
    }
    assertNotEquals(task.generate(1).prompt(), task.generate(2).prompt());
  }

  @Test
  void heldOutInstancesNeverOccurAmongTrainingProblems() {
    // The forks level has about 1,100 instances: enough draws to see nearly all of both splits.
    java.util.Set<String> training = new java.util.HashSet<>();
    java.util.Set<String> heldOut = new java.util.HashSet<>();
    for (long seed = 0; seed < 20_000; seed++) {
      training.add(CountdownTask.Instance.parsePrompt(task.generate(seed).prompt()).canonical());
    }
    for (long seed = 0; seed < 5_000; seed++) {
      Problem problem = task.generateHeldOut(seed);
      assertTrue(problem.id().contains("-h"), problem.id());
      assertTrue(task.verify(problem, problem.solution()).isCorrect(), problem.toString());
      heldOut.add(CountdownTask.Instance.parsePrompt(problem.prompt()).canonical());
    }
    java.util.Set<String> both = new java.util.HashSet<>(training);
    both.retainAll(heldOut);
    assertEquals(java.util.Set.of(), both);
    // The split holds out about one instance in five, and the level has about 1,100 instances.
    int instances = training.size() + heldOut.size();
    assertTrue(instances > 1_000 && instances < 1_200, "instances " + instances);
    double share = heldOut.size() / (double) instances;
    assertTrue(share > 0.15 && share < 0.25, "held-out share " + share);
  }

  @Test
  void anInstanceIsHeldOutWhateverTheOrderOfItsNumbers() {
    CountdownTask.Instance one = new CountdownTask.Instance(List.of(1L, 2L, 3L, 4L), 24);
    CountdownTask.Instance other = new CountdownTask.Instance(List.of(4L, 2L, 1L, 3L), 24);
    assertEquals(one.canonical(), other.canonical());
    assertEquals(CountdownTask.isHeldOut(one), CountdownTask.isHeldOut(other));
  }

  @Test
  void solvableAfterIsTheExactOracleOfAPrefix() {
    String reference = twenty.answer();
    assertEquals(java.util.Optional.of(true), task.solvableAfter(reference, ""));
    assertEquals(java.util.Optional.of(true), task.solvableAfter(reference, "7+3=10\n"));
    // 7*3=21 leaves 2 and 21: 20 is out of reach.
    assertEquals(java.util.Optional.of(false), task.solvableAfter(reference, "7*3=21\n"));
    // An invalid line loses the trace; an unterminated line is not judged yet.
    assertEquals(java.util.Optional.of(false), task.solvableAfter(reference, "7+3=11\n"));
    assertEquals(java.util.Optional.of(true), task.solvableAfter(reference, "7*3=2"));
    assertEquals(List.of("10*2=20\nA: 20\n"), task.solutionsAfter(reference, "7+3=10\n", 8));
    assertEquals(List.of(), task.solutionsAfter(reference, "7*3=21\n", 8));
    assertEquals(
        java.util.Optional.empty(),
        new ArithmeticTask(ArithmeticTask.Config.builder().build()).solvableAfter("3", ""));
  }

  @Test
  void levelsAreNamed() {
    assertEquals(CountdownTask.Config.forks().canonical(), task.config().canonical());
    assertEquals(2, CountdownTask.Config.level("two-moves").solutionSteps());
    assertEquals(4, CountdownTask.Config.level("two-moves").maxNumber());
    assertEquals(9, CountdownTask.Config.level("wide").maxNumber());
    assertEquals(60, CountdownTask.Config.level("wide").maxTarget());
    assertEquals(4, CountdownTask.Config.level("deep").solutionSteps());
    assertEquals(5, CountdownTask.Config.level("deep").minNumbers());
    for (String name : CountdownTask.Config.LEVELS) {
      assertEquals(
          name.equals("deep") ? 4 : name.equals("two-moves") ? 2 : 3,
          CountdownTask.Config.level(name).solutionSteps(),
          name);
    }
    assertThrows(IllegalArgumentException.class, () -> CountdownTask.Config.level("hard"));
  }

  @Test
  void otherDifficultiesGenerateSolvableProblems() {
    CountdownTask six =
        new CountdownTask(
            CountdownTask.Config.builder()
                .optNumbers(6)
                .optNumberRange(1, 25)
                .optSolutionSteps(4)
                .optTargetRange(100, 999)
                .build());
    for (long seed = 0; seed < 20; seed++) {
      Problem problem = six.generate(seed);
      assertTrue(six.verify(problem, problem.solution()).isCorrect(), problem.toString());
      assertEquals(6, CountdownTask.Instance.parsePrompt(problem.prompt()).numbers().size());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> CountdownTask.Config.builder().optNumbers(3).optSolutionSteps(3).build());
    assertThrows(
        IllegalArgumentException.class, () -> CountdownTask.Config.builder().optNumbers(7).build());
  }

  @Test
  void tokenizerCoversEveryPromptAndTraceCharacter() {
    CharTokenizer tokenizer = CharTokenizer.countdown();
    CountdownSolver solver = new CountdownSolver(0.5, 0.5, task.oracle());
    java.util.Random random = new java.util.Random(3);
    for (long seed = 0; seed < 200; seed++) {
      Problem problem = task.generate(seed);
      String text = problem.prompt() + problem.solution() + solver.write(problem, random);
      assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
      String cue = task.answerCue() + task.answerSuffix(problem.answer());
      assertEquals(cue, tokenizer.decode(tokenizer.encode(cue)));
    }
    assertEquals(CharTokenizer.ARITHMETIC_ALPHABET, CharTokenizer.arithmetic().alphabet());
  }
}
