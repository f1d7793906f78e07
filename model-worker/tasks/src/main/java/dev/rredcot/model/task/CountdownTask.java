package dev.rredcot.model.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Countdown: make a target from a few small numbers, each used at most once, where a valid early
 * move can make the target unreachable later.
 *
 * <p>Prompt {@code "Q: 3 5 25 50 -> 75\n"}; trace {@code "50+25=75\nA: 75\n"}. Each step line
 * {@code a<op>b=c} combines two available numbers with {@code + - * /} into a new available number
 * ({@code a} and {@code b} are used up, {@code c} becomes available). Every available number is a
 * positive integer: subtraction must be positive and division exact. The trace ends with the answer
 * line {@code "A: <target>\n"} once the target is available, or with the give-up line {@code "A:
 * ?\n"}.
 *
 * <p>Reference answer. The arithmetic machinery passes only {@code (referenceAnswer, trace)} to
 * {@link #verifyAnswer}, and the trace alone does not say which numbers were given, so the
 * reference answer carries the whole instance: {@code "<target>:<n1> <n2> ..."}, e.g. {@code "75:3
 * 5 25 50"}. {@link #answerSuffix} turns it into the text the policy writes after the cue ({@code
 * "75\n"}), so answer-probability values and continuation banks score the target, not the encoding.
 * A trace is correct when every step line is valid, the target is available after the last step
 * line, and the answer line is the target.
 */
public final class CountdownTask implements TaskFamily {

  /** Name of this family, first part of every problem id. */
  public static final String NAME = "countdown";

  /** The answer cue, the same as the arithmetic family's. */
  public static final String ANSWER_CUE = "A: ";

  /** The answer written when the trace gives up. */
  public static final String GIVE_UP = "?";

  private static final String PROMPT_PREFIX = "Q: ";
  private static final String TARGET_MARK = " -> ";
  private static final String NUMBER = "(0|[1-9][0-9]*)";
  private static final Pattern STEP =
      Pattern.compile(NUMBER + "([-+*/])" + NUMBER + "=" + NUMBER + "\n");
  private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
  private static final Pattern PROMPT =
      Pattern.compile("Q: ([1-9][0-9]*(?: [1-9][0-9]*)*) -> ([1-9][0-9]*)\n");
  private static final Pattern REFERENCE =
      Pattern.compile("([1-9][0-9]*):([1-9][0-9]*(?: [1-9][0-9]*)*)");
  private static final int MAX_ATTEMPTS = 100_000;

  /** One instance in this many is held out ({@link #isHeldOut}). */
  public static final int HELD_OUT_ONE_IN = 5;

  private final Config config;
  private final String configHash;
  private final CountdownOracle oracle = new CountdownOracle();

  /** Creates the task with {@code config}. */
  public CountdownTask(Config config) {
    this.config = config;
    this.configHash = ArithmeticTask.shortHash(config.canonical());
  }

  /** The task with the default configuration ({@link Config#builder()} unchanged). */
  public static CountdownTask defaults() {
    return new CountdownTask(Config.builder().build());
  }

  /** The configuration of this task. */
  public Config config() {
    return config;
  }

  /** The reachability oracle this task grades doomed steps with. */
  public CountdownOracle oracle() {
    return oracle;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Returns the training problem for {@code seed}: numbers drawn uniformly, then a random walk of
   * {@link Config#solutionSteps()} moves whose last result is the target, kept only when the target
   * lies in the target range, is not one of the numbers, cannot be made in fewer moves and the
   * instance is not held out ({@link #isHeldOut}); the walk is the reference solution.
   *
   * @throws IllegalStateException if no such instance is found for the seed (a configuration whose
   *     target range cannot be met)
   */
  @Override
  public Problem generate(long seed) {
    return generate(seed, false);
  }

  /**
   * Returns the held-out problem for {@code seed}: drawn as {@link #generate} draws, but only among
   * the held-out instances, which {@link #generate} never returns.
   */
  @Override
  public Problem generateHeldOut(long seed) {
    return generate(seed, true);
  }

  /**
   * Whether {@code instance} belongs to the held-out split: a stable hash of the instance as a
   * multiset of numbers with its target (prompt order does not matter), one instance in {@link
   * #HELD_OUT_ONE_IN}.
   */
  public static boolean isHeldOut(Instance instance) {
    long hash = 1125899906842597L;
    for (char c : instance.canonical().toCharArray()) {
      hash = 31 * hash + c;
    }
    // splitmix64's finaliser spreads the polynomial hash over every bit before the modulus.
    hash = (hash ^ (hash >>> 30)) * 0xbf58476d1ce4e5b9L;
    hash = (hash ^ (hash >>> 27)) * 0x94d049bb133111ebL;
    hash = hash ^ (hash >>> 31);
    return Math.floorMod(hash, HELD_OUT_ONE_IN) == 0;
  }

  private Problem generate(long seed, boolean heldOut) {
    SplittableRandom random = new SplittableRandom(seed);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      int count = random.nextInt(config.minNumbers, config.maxNumbers + 1);
      List<Long> numbers = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        numbers.add((long) random.nextInt(config.minNumber, config.maxNumber + 1));
      }
      List<Long> available = new ArrayList<>(numbers);
      StringBuilder solution = new StringBuilder();
      long result = 0;
      for (int step = 0; step < config.solutionSteps; step++) {
        List<CountdownOracle.Move> moves = CountdownOracle.moves(available);
        CountdownOracle.Move move = moves.get(random.nextInt(moves.size()));
        available.remove(Long.valueOf(move.left()));
        available.remove(Long.valueOf(move.right()));
        available.add(move.result());
        solution.append(move.line());
        result = move.result();
      }
      long target = result;
      if (target < config.minTarget
          || target > config.maxTarget
          || numbers.contains(target)
          || isHeldOut(new Instance(numbers, target)) != heldOut
          || oracle.shortestSolution(numbers, target).orElse(-1) != config.solutionSteps) {
        continue;
      }
      Instance instance = new Instance(numbers, target);
      solution.append(ANSWER_CUE).append(target).append('\n');
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("seed", Long.toString(seed));
      metadata.put("numbers", Integer.toString(count));
      metadata.put("steps", Integer.toString(config.solutionSteps));
      metadata.put("config", config.canonical());
      metadata.put("split", heldOut ? "held-out" : "train");
      return new Problem(
          NAME + "-" + configHash + "-" + (heldOut ? "h" : "") + seed,
          NAME,
          instance.prompt(),
          solution.toString(),
          instance.referenceAnswer(),
          metadata);
    }
    throw new IllegalStateException(
        "no countdown instance for seed " + seed + " in " + MAX_ATTEMPTS + " attempts: " + config);
  }

  /**
   * Grades {@code trace} against a reference answer {@code "<target>:<numbers>"} (see the class
   * comment).
   *
   * @throws IllegalArgumentException if {@code referenceAnswer} is not in that form
   */
  @Override
  public Verification verifyAnswer(String referenceAnswer, String trace) {
    return grade(Instance.parseReference(referenceAnswer), trace);
  }

  @Override
  public String answerCue() {
    return ANSWER_CUE;
  }

  /**
   * The text after the cue for {@code answer}: the target and a newline, whether {@code answer} is
   * a reference answer {@code "<target>:<numbers>"} or a plain answer.
   */
  @Override
  public String answerSuffix(String answer) {
    int colon = answer.indexOf(':');
    return (colon < 0 ? answer : answer.substring(0, colon)) + "\n";
  }

  /**
   * Index of the first invalid line: a step line that is malformed, uses a number that is not
   * available, or has wrong or disallowed arithmetic; {@code splitSteps(trace).size()} (the answer
   * line) when every step line is valid but the trace is still not correct; empty when it is.
   */
  @Override
  public OptionalInt firstWrongStep(Problem problem, String trace) {
    Instance instance = Instance.parsePrompt(problem.prompt());
    List<String> steps = splitSteps(trace);
    Replay replay = replay(instance, steps);
    if (replay.invalidLine >= 0) {
      return OptionalInt.of(replay.invalidLine);
    }
    return grade(instance, trace).isCorrect() ? OptionalInt.empty() : OptionalInt.of(steps.size());
  }

  /**
   * Index of the first doomed line: the first step line after which the target can no longer be
   * made from the available numbers (an invalid line counts as doomed where it stands); {@code
   * splitSteps(trace).size()} (the answer line) when the target stays reachable through every step
   * line but the trace is still not correct (it gave up, stopped early or answered wrongly); 0 when
   * the prompt has no solution; empty when the trace is correct. Exact ground truth for credit
   * localisation: no sampling involved.
   */
  public OptionalInt firstDoomedStep(Problem problem, String trace) {
    Instance instance = Instance.parsePrompt(problem.prompt());
    List<String> steps = splitSteps(trace);
    List<Long> available = new ArrayList<>(instance.numbers());
    if (!oracle.reachable(available, instance.target())) {
      return OptionalInt.of(0); // no solution at all: the first line is already lost
    }
    for (int i = 0; i < steps.size(); i++) {
      if (applyLine(available, steps.get(i)).isPresent()) {
        return OptionalInt.of(i);
      }
      if (!oracle.reachable(available, instance.target())) {
        return OptionalInt.of(i);
      }
    }
    return grade(instance, trace).isCorrect() ? OptionalInt.empty() : OptionalInt.of(steps.size());
  }

  /**
   * Whether the target can still be made after {@code prefix}: every complete step line valid and
   * the target available or reachable from what is left ({@link CountdownOracle#reachable}). An
   * unterminated last line is not judged yet.
   */
  @Override
  public Optional<Boolean> solvableAfter(String referenceAnswer, String prefix) {
    Instance instance = Instance.parseReference(referenceAnswer);
    Optional<List<Long>> available = availableAfter(instance, prefix);
    return Optional.of(
        available.isPresent() && oracle.reachable(available.get(), instance.target()));
  }

  /**
   * The ways to finish after {@code prefix}: move sequences that keep the target reachable at every
   * move and stop once it is made, each followed by the answer line; at most {@code limit}, in the
   * oracle's move order.
   */
  @Override
  public List<String> solutionsAfter(String referenceAnswer, String prefix, int limit) {
    Instance instance = Instance.parseReference(referenceAnswer);
    Optional<List<Long>> available = availableAfter(instance, prefix);
    List<String> solutions = new ArrayList<>();
    if (available.isPresent()) {
      collectSolutions(available.get(), instance.target(), "", solutions, limit);
    }
    return solutions;
  }

  private void collectSolutions(
      List<Long> available, long target, String lines, List<String> out, int limit) {
    if (out.size() >= limit) {
      return;
    }
    if (available.contains(target)) {
      out.add(lines + ANSWER_CUE + target + "\n");
      return;
    }
    for (CountdownOracle.Move move : CountdownOracle.moves(available)) {
      List<Long> next = new ArrayList<>(available);
      next.remove(Long.valueOf(move.left()));
      next.remove(Long.valueOf(move.right()));
      next.add(move.result());
      if (oracle.reachable(next, target)) {
        collectSolutions(next, target, lines + move.line(), out, limit);
      }
    }
  }

  /** The numbers available after the complete lines of {@code prefix}; empty if one is invalid. */
  private Optional<List<Long>> availableAfter(Instance instance, String prefix) {
    List<Long> available = new ArrayList<>(instance.numbers());
    for (String line : splitSteps(prefix)) {
      if (!line.endsWith("\n")) {
        break;
      }
      if (applyLine(available, line).isPresent()) {
        return Optional.empty();
      }
    }
    return Optional.of(available);
  }

  @Override
  public List<String> splitSteps(String trace) {
    return StepLines.beforeAnswer(trace, ANSWER_CUE);
  }

  private Verification grade(Instance instance, String trace) {
    if (trace.isEmpty()) {
      return Verification.malformed("empty trace");
    }
    List<String> steps = splitSteps(trace);
    int answerStart = steps.stream().mapToInt(String::length).sum();
    if (answerStart >= trace.length()) {
      return Verification.malformed("no answer line");
    }
    int end = trace.indexOf('\n', answerStart);
    if (end < 0) {
      return Verification.malformed("answer line not terminated by a newline");
    }
    String answer = trace.substring(answerStart + ANSWER_CUE.length(), end);
    if (!answer.equals(GIVE_UP) && !INTEGER.matcher(answer).matches()) {
      return Verification.malformed("answer is neither an integer nor " + GIVE_UP);
    }
    Replay replay = replay(instance, steps);
    if (replay.invalidLine >= 0) {
      return Verification.wrong(answer, "line " + replay.invalidLine + ": " + replay.reason);
    }
    if (answer.equals(GIVE_UP)) {
      return Verification.wrong(answer, "gave up");
    }
    String target = Long.toString(instance.target());
    if (!replay.available.contains(instance.target())) {
      return Verification.wrong(answer, "target " + target + " not reached");
    }
    return answer.equals(target)
        ? Verification.correct(answer)
        : Verification.wrong(answer, "wrong answer: expected " + target);
  }

  private static Replay replay(Instance instance, List<String> steps) {
    List<Long> available = new ArrayList<>(instance.numbers());
    for (int i = 0; i < steps.size(); i++) {
      Optional<String> error = applyLine(available, steps.get(i));
      if (error.isPresent()) {
        return new Replay(i, error.get(), available);
      }
    }
    return new Replay(-1, "", available);
  }

  /**
   * Applies one step line to {@code available} (a multiset) and returns why it is invalid, or empty
   * when it is valid; {@code available} is changed only for a valid line.
   */
  static Optional<String> applyLine(List<Long> available, String line) {
    Matcher m = STEP.matcher(line);
    if (!m.matches()) {
      return Optional.of("not a step line a<op>b=c");
    }
    long left;
    long right;
    long written;
    try {
      left = Long.parseLong(m.group(1));
      right = Long.parseLong(m.group(3));
      written = Long.parseLong(m.group(4));
    } catch (NumberFormatException tooLong) {
      return Optional.of("number out of range");
    }
    List<Long> rest = new ArrayList<>(available);
    if (!rest.remove(Long.valueOf(left))) {
      return Optional.of(left + " is not available");
    }
    if (!rest.remove(Long.valueOf(right))) {
      return Optional.of(right + " is not available");
    }
    char operator = m.group(2).charAt(0);
    Long result = CountdownOracle.apply(left, operator, right);
    if (result == null) {
      return Optional.of(
          operator == '/' ? "division is not exact" : "result is not a positive number");
    }
    if (result != written) {
      return Optional.of("wrong arithmetic: " + left + operator + right + " is " + result);
    }
    rest.add(result);
    available.clear();
    available.addAll(rest);
    return Optional.empty();
  }

  private record Replay(int invalidLine, String reason, List<Long> available) {}

  /**
   * One countdown instance.
   *
   * @param numbers the given numbers, in prompt order (a multiset: values may repeat)
   * @param target the number to make
   */
  public record Instance(List<Long> numbers, long target) {

    public Instance {
      numbers = List.copyOf(numbers);
      if (numbers.isEmpty() || target <= 0 || numbers.stream().anyMatch(n -> n <= 0)) {
        throw new IllegalArgumentException("numbers and target must be positive: " + numbers);
      }
    }

    /** The prompt, e.g. {@code "Q: 3 5 25 50 -> 75\n"}. */
    public String prompt() {
      return PROMPT_PREFIX + joined() + TARGET_MARK + target + "\n";
    }

    /**
     * The instance whatever the order of its numbers, e.g. {@code "3 5 25 50 -> 75"}: two prompts
     * with the same numbers in another order are the same instance.
     */
    public String canonical() {
      StringBuilder text = new StringBuilder();
      numbers.stream().sorted().forEach(n -> text.append(n).append(' '));
      return text.append("-> ").append(target).toString();
    }

    /** The reference answer, e.g. {@code "75:3 5 25 50"}. */
    public String referenceAnswer() {
      return target + ":" + joined();
    }

    private String joined() {
      StringBuilder text = new StringBuilder();
      for (long n : numbers) {
        text.append(text.length() == 0 ? "" : " ").append(n);
      }
      return text.toString();
    }

    /**
     * Parses a prompt such as {@code "Q: 3 5 25 50 -> 75\n"}.
     *
     * @throws IllegalArgumentException if the prompt is not in that format
     */
    public static Instance parsePrompt(String prompt) {
      Matcher m = PROMPT.matcher(prompt);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "not a countdown prompt (expected \"Q: <numbers> -> <target>\\n\"): " + prompt);
      }
      return new Instance(parseNumbers(m.group(1)), Long.parseLong(m.group(2)));
    }

    /**
     * Parses a reference answer such as {@code "75:3 5 25 50"}.
     *
     * @throws IllegalArgumentException if it is not in that format
     */
    public static Instance parseReference(String referenceAnswer) {
      Matcher m = REFERENCE.matcher(referenceAnswer);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "not a countdown reference answer (expected \"<target>:<numbers>\"): "
                + referenceAnswer);
      }
      return new Instance(parseNumbers(m.group(2)), Long.parseLong(m.group(1)));
    }

    private static List<Long> parseNumbers(String text) {
      List<Long> numbers = new ArrayList<>();
      for (String n : text.split(" ")) {
        numbers.add(Long.parseLong(n));
      }
      return numbers;
    }
  }

  /**
   * Difficulty knobs of the countdown family: how many numbers, their range, how many moves the
   * target is away, and the target range.
   */
  public static final class Config {
    private final int minNumbers;
    private final int maxNumbers;
    private final int minNumber;
    private final int maxNumber;
    private final int solutionSteps;
    private final long minTarget;
    private final long maxTarget;

    private Config(Builder builder) {
      this.minNumbers = builder.minNumbers;
      this.maxNumbers = builder.maxNumbers;
      this.minNumber = builder.minNumber;
      this.maxNumber = builder.maxNumber;
      this.solutionSteps = builder.solutionSteps;
      this.minTarget = builder.minTarget;
      this.maxTarget = builder.maxTarget;
    }

    /**
     * A builder with the defaults ({@link #forks()}): 4 numbers from 1..6, targets 10..40 that need
     * all 3 moves (no shorter solution), so most first moves are valid but many of them doom the
     * trace two moves before the end.
     */
    public static Builder builder() {
      return new Builder();
    }

    /**
     * The default level, {@code forks}: 4 numbers from 1..6, targets 10..40 three moves away. About
     * 1,100 instances, most valid first moves doom the trace (docs/RESULTS.md), so a wrong choice
     * is made two moves before anyone sees it.
     */
    public static Config forks() {
      return builder().build();
    }

    /**
     * The earlier default level, {@code two-moves}: 4 numbers from 1..4, targets 5..12 two moves
     * away. A few hundred instances, most failures decided at the last move.
     */
    public static Config twoMoves() {
      return builder().optNumberRange(1, 4).optSolutionSteps(2).optTargetRange(5, 12).build();
    }

    /**
     * The {@code wide} level: 4 numbers from 1..9, targets 10..60 three moves away. About five
     * times the forks level's instances (the countdown warm-up's second stage), so a policy trained
     * on it can recall far fewer of them and must search.
     */
    public static Config wide() {
      return builder().optNumberRange(1, 9).optTargetRange(10, 60).build();
    }

    /**
     * The {@code deep} level: 5 numbers from 1..9, targets 20..100 four moves away. Traces a move
     * longer than the other levels' with about two thirds of first moves dooming, and too many
     * instances to recall (about 9,000 distinct ones in 20,000 draws): the level for asking whether
     * a longer search gives credit more room than three moves do.
     */
    public static Config deep() {
      return builder()
          .optNumbers(5)
          .optNumberRange(1, 9)
          .optSolutionSteps(4)
          .optTargetRange(20, 100)
          .build();
    }

    /** The names {@link #level} knows. */
    public static final List<String> LEVELS = List.of("forks", "two-moves", "wide", "deep");

    /**
     * The level called {@code name}: one of {@link #LEVELS}.
     *
     * @throws IllegalArgumentException naming the known levels
     */
    public static Config level(String name) {
      switch (name) {
        case "forks":
          return forks();
        case "two-moves":
          return twoMoves();
        case "wide":
          return wide();
        case "deep":
          return deep();
        default:
          throw new IllegalArgumentException(
              "unknown countdown level '" + name + "': use one of " + String.join(", ", LEVELS));
      }
    }

    /** Fewest numbers per problem. */
    public int minNumbers() {
      return minNumbers;
    }

    /** Most numbers per problem. */
    public int maxNumbers() {
      return maxNumbers;
    }

    /** Smallest given number. */
    public int minNumber() {
      return minNumber;
    }

    /** Largest given number. */
    public int maxNumber() {
      return maxNumber;
    }

    /** Moves of the reference solution; no shorter solution exists. */
    public int solutionSteps() {
      return solutionSteps;
    }

    /** Smallest target. */
    public long minTarget() {
      return minTarget;
    }

    /** Largest target. */
    public long maxTarget() {
      return maxTarget;
    }

    /** Stable text form; problem ids hash it, so equal configs give equal ids. */
    public String canonical() {
      return "numbers="
          + minNumbers
          + ".."
          + maxNumbers
          + ";range="
          + minNumber
          + ".."
          + maxNumber
          + ";steps="
          + solutionSteps
          + ";target="
          + minTarget
          + ".."
          + maxTarget;
    }

    @Override
    public String toString() {
      return canonical();
    }

    /** Builder for {@link Config}: {@code optX} setters, {@link #build()} validates. */
    public static final class Builder {
      private int minNumbers = 4;
      private int maxNumbers = 4;
      private int minNumber = 1;
      private int maxNumber = 6;
      private int solutionSteps = 3;
      private long minTarget = 10;
      private long maxTarget = 40;

      private Builder() {}

      /** Every problem gives exactly {@code count} numbers. */
      public Builder optNumbers(int count) {
        return optNumberCountRange(count, count);
      }

      /** Problems give between {@code min} and {@code max} numbers (uniform). */
      public Builder optNumberCountRange(int min, int max) {
        this.minNumbers = min;
        this.maxNumbers = max;
        return this;
      }

      /** Given numbers are drawn uniformly from {@code [min, max]}. */
      public Builder optNumberRange(int min, int max) {
        this.minNumber = min;
        this.maxNumber = max;
        return this;
      }

      /** How far the target is: the fewest moves that make it. */
      public Builder optSolutionSteps(int steps) {
        this.solutionSteps = steps;
        return this;
      }

      /** Targets lie in {@code [min, max]}. */
      public Builder optTargetRange(long min, long max) {
        this.minTarget = min;
        this.maxTarget = max;
        return this;
      }

      /**
       * Validates and builds.
       *
       * @throws IllegalArgumentException naming the setting to change
       */
      public Config build() {
        if (minNumbers < 2 || maxNumbers < minNumbers || maxNumbers > 6) {
          throw new IllegalArgumentException(
              "number count must satisfy 2 <= min <= max <= 6, got "
                  + minNumbers
                  + ".."
                  + maxNumbers);
        }
        if (minNumber < 1 || maxNumber < minNumber || maxNumber > 1000) {
          throw new IllegalArgumentException(
              "number range must satisfy 1 <= min <= max <= 1000, got "
                  + minNumber
                  + ".."
                  + maxNumber);
        }
        if (solutionSteps < 1 || solutionSteps > minNumbers - 1) {
          throw new IllegalArgumentException(
              "solution steps must be in 1..(fewest numbers - 1) = 1.."
                  + (minNumbers - 1)
                  + ", got "
                  + solutionSteps);
        }
        if (minTarget < 1 || maxTarget < minTarget) {
          throw new IllegalArgumentException(
              "target range must satisfy 1 <= min <= max, got " + minTarget + ".." + maxTarget);
        }
        return new Config(this);
      }
    }
  }
}
