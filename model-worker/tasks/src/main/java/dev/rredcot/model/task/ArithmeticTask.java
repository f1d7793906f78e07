package dev.rredcot.model.task;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chained integer arithmetic whose chain of thought is a list of checkable steps.
 *
 * <p>Prompt {@code "Q: 37+25-18+9\n"}; trace {@code "37+25=62\n62-18=44\n44+9=53\nA: 53\n"}. Step
 * line {@code i} is {@code <left><op><operand>=<result>}, where the left side of step 0 is the
 * first operand and the left side of step {@code i > 0} is the result written on line {@code i -
 * 1}, so an error propagates. Operations are evaluated left to right (no precedence), negative
 * values are allowed ({@code 12-40=-28}).
 *
 * <p>Grading is strict: the answer is the first line starting with {@code "A: "}, it must be an
 * integer in canonical form ({@code -?[1-9][0-9]*|0}) and the line must end with a newline, because
 * the newline is what ends generation; an unterminated answer line means generation was cut off
 * (the model may have meant {@code 530} rather than {@code 53}) and gets reward 0.
 */
public final class ArithmeticTask implements TaskFamily {

  /** Name of this family, first part of every problem id. */
  public static final String NAME = "arith";

  /** The answer cue. */
  public static final String ANSWER_CUE = "A: ";

  private static final String PROMPT_PREFIX = "Q: ";
  private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
  private static final Pattern STEP = Pattern.compile("(-?[0-9]+)([+*-])([0-9]+)=(-?[0-9]+)");
  private static final Pattern EXPRESSION = Pattern.compile("([0-9]+)((?:[+*-][0-9]+)+)");
  private static final Pattern OPERATION = Pattern.compile("([+*-])([0-9]+)");

  private final Config config;
  private final String configHash;

  /** Creates the task with {@code config}. */
  public ArithmeticTask(Config config) {
    this.config = config;
    this.configHash = shortHash(config.canonical());
  }

  /** The task with the default configuration ({@link Config#builder()} unchanged). */
  public static ArithmeticTask defaults() {
    return new ArithmeticTask(Config.builder().build());
  }

  /** The configuration of this task. */
  public Config config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Problem generate(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int steps = config.minSteps + random.nextInt(config.maxSteps - config.minSteps + 1);
    List<Long> operands = new ArrayList<>(steps + 1);
    StringBuilder operators = new StringBuilder(steps);
    for (int i = 0; i <= steps; i++) {
      operands.add((long) random.nextInt(config.minOperand, config.maxOperand + 1));
    }
    for (int i = 0; i < steps; i++) {
      operators.append(config.operators.charAt(random.nextInt(config.operators.length())));
    }
    Expression expression = new Expression(operands, operators.toString());
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("seed", Long.toString(seed));
    metadata.put("steps", Integer.toString(steps));
    metadata.put("config", config.canonical());
    return new Problem(
        NAME + "-" + configHash + "-" + seed,
        NAME,
        expression.prompt(),
        expression.solution(),
        Long.toString(expression.value()),
        metadata);
  }

  @Override
  public Verification verifyAnswer(String referenceAnswer, String trace) {
    return gradeAnswerLine(referenceAnswer, trace);
  }

  @Override
  public String answerCue() {
    return ANSWER_CUE;
  }

  @Override
  public OptionalInt firstWrongStep(Problem problem, String trace) {
    Expression expression = parsePrompt(problem.prompt());
    String[] lines = trace.split("\n", -1);
    long left = expression.operands().get(0);
    for (int step = 0; step < expression.steps(); step++) {
      if (step >= lines.length) {
        return OptionalInt.of(step);
      }
      Matcher m = STEP.matcher(lines[step]);
      if (!m.matches()) {
        return OptionalInt.of(step);
      }
      char operator = expression.operators().charAt(step);
      long operand = expression.operands().get(step + 1);
      Optional<Long> writtenLeft = parseCanonical(m.group(1));
      Optional<Long> writtenResult = parseCanonical(m.group(4));
      boolean right =
          writtenLeft.isPresent()
              && writtenLeft.get() == left
              && m.group(2).charAt(0) == operator
              && m.group(3).equals(Long.toString(operand))
              && writtenResult.isPresent()
              && writtenResult.get() == apply(left, operator, operand);
      if (!right) {
        return OptionalInt.of(step);
      }
      left = writtenResult.get();
    }
    int answerLine = expression.steps();
    boolean answerRight = answerLine < lines.length && lines[answerLine].equals(ANSWER_CUE + left);
    return answerRight ? OptionalInt.empty() : OptionalInt.of(answerLine);
  }

  @Override
  public List<String> splitSteps(String trace) {
    return StepLines.beforeAnswer(trace, ANSWER_CUE);
  }

  /**
   * Parses an arithmetic prompt such as {@code "Q: 37+25-18+9\n"}.
   *
   * @throws IllegalArgumentException if the prompt is not in that format
   */
  public static Expression parsePrompt(String prompt) {
    if (!prompt.startsWith(PROMPT_PREFIX) || !prompt.endsWith("\n")) {
      throw new IllegalArgumentException(
          "not an arithmetic prompt (expected \"Q: <expr>\\n\"): " + quote(prompt));
    }
    String body = prompt.substring(PROMPT_PREFIX.length(), prompt.length() - 1);
    Matcher whole = EXPRESSION.matcher(body);
    if (!whole.matches()) {
      throw new IllegalArgumentException("not an arithmetic expression: " + quote(body));
    }
    List<Long> operands = new ArrayList<>();
    StringBuilder operators = new StringBuilder();
    operands.add(Long.parseLong(whole.group(1)));
    Matcher op = OPERATION.matcher(whole.group(2));
    while (op.find()) {
      operators.append(op.group(1));
      operands.add(Long.parseLong(op.group(2)));
    }
    return new Expression(operands, operators.toString());
  }

  /** Applies one operation; throws ArithmeticException on long overflow. */
  static long apply(long left, char operator, long operand) {
    return switch (operator) {
      case '+' -> Math.addExact(left, operand);
      case '-' -> Math.subtractExact(left, operand);
      case '*' -> Math.multiplyExact(left, operand);
      default -> throw new IllegalArgumentException("unknown operator '" + operator + "'");
    };
  }

  static Verification gradeAnswerLine(String referenceAnswer, String trace) {
    if (trace.isEmpty()) {
      return Verification.malformed("empty trace");
    }
    int lineStart = 0;
    while (lineStart <= trace.length()) {
      int end = trace.indexOf('\n', lineStart);
      if (trace.startsWith(ANSWER_CUE, lineStart)) {
        if (end < 0) {
          return Verification.malformed("answer line not terminated by a newline");
        }
        String answer = trace.substring(lineStart + ANSWER_CUE.length(), end);
        if (!INTEGER.matcher(answer).matches()) {
          return Verification.malformed("answer is not an integer: " + quote(answer));
        }
        return answer.equals(referenceAnswer)
            ? Verification.correct(answer)
            : Verification.wrong(answer, "wrong answer: expected " + referenceAnswer);
      }
      if (end < 0) {
        break;
      }
      lineStart = end + 1;
    }
    return Verification.malformed("no answer line");
  }

  private static Optional<Long> parseCanonical(String text) {
    if (!INTEGER.matcher(text).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String quote(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return "\"" + shown.replace("\n", "\\n") + "\"";
  }

  static String shortHash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  /**
   * A parsed chain: {@code operands.size() == operators.length() + 1}, evaluated left to right.
   *
   * @param operands the operands in order
   * @param operators one character per operation, from {@code + - *}
   */
  public record Expression(List<Long> operands, String operators) {

    public Expression {
      operands = List.copyOf(operands);
      if (operands.size() != operators.length() + 1) {
        throw new IllegalArgumentException(
            operands.size() + " operands need " + (operands.size() - 1) + " operators");
      }
    }

    /** Number of operations. */
    public int steps() {
      return operators.length();
    }

    /** Value of the expression (left to right). */
    public long value() {
      long value = operands.get(0);
      for (int i = 0; i < steps(); i++) {
        value = apply(value, operators.charAt(i), operands.get(i + 1));
      }
      return value;
    }

    /** The prompt text, e.g. {@code "Q: 37+25-18+9\n"}. */
    public String prompt() {
      StringBuilder text = new StringBuilder(PROMPT_PREFIX).append(operands.get(0));
      for (int i = 0; i < steps(); i++) {
        text.append(operators.charAt(i)).append(operands.get(i + 1));
      }
      return text.append('\n').toString();
    }

    /** The correct trace: one line per step, then the answer line. */
    public String solution() {
      StringBuilder text = new StringBuilder();
      long left = operands.get(0);
      for (int i = 0; i < steps(); i++) {
        char operator = operators.charAt(i);
        long operand = operands.get(i + 1);
        long result = apply(left, operator, operand);
        text.append(stepLine(left, operator, operand, result));
        left = result;
      }
      return text.append(ANSWER_CUE).append(left).append('\n').toString();
    }
  }

  /** One step line with its newline, e.g. {@code "37+25=62\n"}. */
  static String stepLine(long left, char operator, long operand, long result) {
    return Long.toString(left) + operator + operand + '=' + result + '\n';
  }

  /**
   * Settings of the arithmetic family: number of operations per problem, operand range and
   * operators.
   */
  public static final class Config {
    private final int minSteps;
    private final int maxSteps;
    private final int minOperand;
    private final int maxOperand;
    private final String operators;

    private Config(Builder builder) {
      this.minSteps = builder.minSteps;
      this.maxSteps = builder.maxSteps;
      this.minOperand = builder.minOperand;
      this.maxOperand = builder.maxOperand;
      this.operators = builder.operators;
    }

    /**
     * A builder with the defaults: 4 operations, operands 1..20, operators {@code +-}. Results then
     * stay within -79..100, two-digit carries and borrows are frequent and an error in one step is
     * visible in every later line, which a 1-3M-parameter character-level model learns well but not
     * perfectly.
     */
    public static Builder builder() {
      return new Builder();
    }

    /** Fewest operations per problem. */
    public int minSteps() {
      return minSteps;
    }

    /** Most operations per problem. */
    public int maxSteps() {
      return maxSteps;
    }

    /** Smallest operand. */
    public int minOperand() {
      return minOperand;
    }

    /** Largest operand. */
    public int maxOperand() {
      return maxOperand;
    }

    /** Operators drawn from, each equally likely. */
    public String operators() {
      return operators;
    }

    /** Stable text form; problem ids hash it, so equal configs give equal ids. */
    public String canonical() {
      return "steps="
          + minSteps
          + ".."
          + maxSteps
          + ";operands="
          + minOperand
          + ".."
          + maxOperand
          + ";operators="
          + operators;
    }

    @Override
    public String toString() {
      return canonical();
    }

    /** Builder for {@link Config}: {@code optX} setters, {@link #build()} validates. */
    public static final class Builder {
      private int minSteps = 4;
      private int maxSteps = 4;
      private int minOperand = 1;
      private int maxOperand = 20;
      private String operators = "+-";

      private Builder() {}

      /** Every problem has exactly {@code steps} operations. */
      public Builder optSteps(int steps) {
        this.minSteps = steps;
        this.maxSteps = steps;
        return this;
      }

      /** Problems have between {@code minSteps} and {@code maxSteps} operations (uniform). */
      public Builder optStepRange(int minSteps, int maxSteps) {
        this.minSteps = minSteps;
        this.maxSteps = maxSteps;
        return this;
      }

      /** Operands are drawn uniformly from {@code [min, max]}, both non-negative. */
      public Builder optOperandRange(int min, int max) {
        this.minOperand = min;
        this.maxOperand = max;
        return this;
      }

      /** Operators to draw from, a non-empty subset of {@code "+-*"}, e.g. {@code "+-"}. */
      public Builder optOperators(String operators) {
        this.operators = operators;
        return this;
      }

      /**
       * Validates and builds.
       *
       * @throws IllegalArgumentException naming the setting to change
       */
      public Config build() {
        if (minSteps < 1 || maxSteps < minSteps) {
          throw new IllegalArgumentException(
              "steps must satisfy 1 <= min <= max, got " + minSteps + ".." + maxSteps);
        }
        if (maxSteps > 64) {
          throw new IllegalArgumentException("at most 64 steps, got " + maxSteps);
        }
        if (minOperand < 0 || maxOperand < minOperand) {
          throw new IllegalArgumentException(
              "operand range must satisfy 0 <= min <= max, got " + minOperand + ".." + maxOperand);
        }
        if (operators == null || operators.isEmpty() || !operators.matches("[+*-]+")) {
          throw new IllegalArgumentException(
              "operators must be a non-empty subset of \"+-*\", got " + operators);
        }
        if (operators.chars().distinct().count() != operators.length()) {
          throw new IllegalArgumentException("operators repeat a character: " + operators);
        }
        if (operators.indexOf('*') >= 0) {
          // |v_(k+1)| <= |v_k| * max + max whichever operator step k uses; bound it in a long.
          long max = Math.max(1, maxOperand);
          try {
            long magnitude = max;
            for (int i = 0; i < maxSteps; i++) {
              magnitude = Math.addExact(Math.multiplyExact(magnitude, max), max);
            }
          } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                "with '*', "
                    + maxSteps
                    + " steps of operands up to "
                    + maxOperand
                    + " can overflow a long; reduce steps or operands");
          }
        }
        return new Config(this);
      }
    }
  }
}
