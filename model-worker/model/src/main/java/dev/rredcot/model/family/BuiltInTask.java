package dev.rredcot.model.family;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.CountdownInitialPolicy;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * A built-in task family (the `--task` names {@code arith} and {@code countdown}), with what the
 * services and the evaluations need of it: the problems at a difficulty level, the problems the
 * shipped policy was made for, that policy, and the exact ground truth of credit localisation on a
 * wrong trace (no sampling).
 *
 * <ul>
 *   <li>{@code arith}: levels are operations per problem; localisation truth is the first wrong
 *       line ({@link TaskFamily#firstWrongStep}): in a chain every step is forced, so the first
 *       wrong line is where the trace was lost.
 *   <li>{@code countdown}: levels are the moves of the guaranteed solution; localisation truth is
 *       the first doomed line ({@link CountdownTask#firstDoomedStep}), the first line after which
 *       the target can no longer be made, found by exhaustive search. The lines after it are often
 *       valid arithmetic, so it is not where the first visible error is.
 * </ul>
 */
public enum BuiltInTask {
  ARITH(ArithmeticTask.NAME, List.of(3, 4, 5), "first wrong line") {
    @Override
    public TaskFamily atLevel(int level) {
      return new ArithmeticTask(arithmeticTrained().optSteps(level).build());
    }

    @Override
    public TaskFamily trained() {
      return new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    }

    @Override
    public Checkpoint materialiseShipped(CheckpointStore store) throws IOException {
      return InitialPolicy.materialise(store);
    }

    @Override
    public String shippedSource() {
      return "shipped initial policy (InitialPolicy, manifest sha256 "
          + InitialPolicy.MANIFEST_SHA256.substring(0, 12)
          + "...)";
    }

    @Override
    public OptionalInt localisationTruth(TaskFamily task, Problem problem, String trace) {
      return task.firstWrongStep(problem, trace);
    }
  },
  COUNTDOWN(CountdownTask.NAME, List.of(3), "first doomed line") {
    @Override
    public TaskFamily atLevel(int level) {
      return countdownAt(PretrainOptions.COUNTDOWN_POLICY_TASK, level);
    }

    @Override
    public TaskFamily trained() {
      return new CountdownTask(PretrainOptions.COUNTDOWN_POLICY_TASK);
    }

    @Override
    public Checkpoint materialiseShipped(CheckpointStore store) throws IOException {
      return CountdownInitialPolicy.materialise(store);
    }

    @Override
    public String shippedSource() {
      return "shipped countdown initial policy (CountdownInitialPolicy, manifest sha256 "
          + CountdownInitialPolicy.MANIFEST_SHA256.substring(0, 12)
          + "...)";
    }

    @Override
    public OptionalInt localisationTruth(TaskFamily task, Problem problem, String trace) {
      return ((CountdownTask) task).firstDoomedStep(problem, trace);
    }
  };

  private final String familyName;
  private final List<Integer> defaultLevels;
  private final String localisationName;

  BuiltInTask(String familyName, List<Integer> defaultLevels, String localisationName) {
    this.familyName = familyName;
    this.defaultLevels = defaultLevels;
    this.localisationName = localisationName;
  }

  /** The task family's name, as records carry it and {@code --task} takes it. */
  public String familyName() {
    return familyName;
  }

  /** Difficulty levels the credit evaluation spreads its rollouts over by default. */
  public List<Integer> defaultLevels() {
    return defaultLevels;
  }

  /** What the localisation truth is, for reports. */
  public String localisationName() {
    return localisationName;
  }

  /** Whether the family has an exact oracle of what can still be solved ({@code reach} values). */
  public boolean hasExactOracle() {
    return this == COUNTDOWN;
  }

  /** Countdown problems with {@code base}'s numbers and targets, {@code steps} moves away. */
  public static TaskFamily countdownAt(CountdownTask.Config base, int steps) {
    return new CountdownTask(
        CountdownTask.Config.builder()
            .optNumberCountRange(base.minNumbers(), base.maxNumbers())
            .optNumberRange(base.minNumber(), base.maxNumber())
            .optTargetRange(base.minTarget(), base.maxTarget())
            .optSolutionSteps(steps)
            .build());
  }

  /** The problems of difficulty {@code level}. */
  public abstract TaskFamily atLevel(int level);

  /** The problems the shipped policy of this family was made for (training and held-out). */
  public abstract TaskFamily trained();

  /** Writes the shipped policy of this family into {@code store} (idempotent) and returns it. */
  public abstract Checkpoint materialiseShipped(CheckpointStore store) throws IOException;

  /** Names the shipped policy and its manifest digest, for reports. */
  public abstract String shippedSource();

  /**
   * The line of a wrong {@code trace} where it was lost (a step index, or the answer line's index
   * {@code splitSteps(trace).size()}); empty for a correct trace.
   */
  public abstract OptionalInt localisationTruth(TaskFamily task, Problem problem, String trace);

  /** The task called {@code name}; the error lists the known names. */
  public static BuiltInTask fromName(String name) {
    for (BuiltInTask task : values()) {
      if (task.familyName.equals(name)) {
        return task;
      }
    }
    throw new IllegalArgumentException(
        "unknown task '" + name + "': use " + ARITH.familyName + " or " + COUNTDOWN.familyName);
  }

  @Override
  public String toString() {
    return familyName.toLowerCase(Locale.ROOT);
  }

  /**
   * The arithmetic problems the shipped initial policy was trained for (operand range and
   * operators); difficulty levels vary only the step count.
   */
  private static ArithmeticTask.Config.Builder arithmeticTrained() {
    ArithmeticTask.Config trained = PretrainOptions.INITIAL_POLICY_TASK;
    return ArithmeticTask.Config.builder()
        .optOperandRange(trained.minOperand(), trained.maxOperand())
        .optOperators(trained.operators());
  }
}
