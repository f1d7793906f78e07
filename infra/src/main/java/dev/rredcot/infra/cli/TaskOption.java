package dev.rredcot.infra.cli;

import dev.rredcot.infra.evaluation.EvaluationTask;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import java.io.IOException;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --task} option of the commands that generate, sample or credit one task family: the
 * family's problems and its shipped policy ({@link EvaluationTask}).
 */
public final class TaskOption {
  @Option(
      names = "--task",
      defaultValue = "arith",
      paramLabel = "FAMILY",
      description = "Task family: arith (default) or countdown.")
  String task = "arith";

  /** The chosen task; an unknown name is a usage error that lists the known ones. */
  EvaluationTask resolve(CommandSpec spec) {
    try {
      return EvaluationTask.fromName(task);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * Fails unless {@code checkpoint}'s tokenizer can write a problem of {@code task}: a policy of
   * another family would only produce dead letters.
   */
  static void requireCovers(CommandSpec spec, Checkpoint checkpoint, EvaluationTask task)
      throws IOException {
    Optional<String> unwritable = unwritable(checkpoint, task);
    if (unwritable.isPresent()) {
      throw new ParameterException(
          spec.commandLine(),
          "the policy v"
              + checkpoint.version()
              + " in "
              + checkpoint.dir().getParent()
              + " cannot write "
              + task.familyName()
              + " problems ("
              + unwritable.get()
              + "): use a store holding a "
              + task.familyName()
              + " policy");
    }
  }

  /**
   * Why {@code checkpoint}'s tokenizer cannot write a problem of {@code task} (its prompt and
   * reference solution), or empty when it can.
   */
  static Optional<String> unwritable(Checkpoint checkpoint, EvaluationTask task)
      throws IOException {
    Problem problem = task.trained().generate(0);
    try {
      Tokenizer.load(checkpoint.dir()).encode(problem.prompt() + problem.solution());
      return Optional.empty();
    } catch (UnmappableTextException e) {
      return Optional.of(e.getMessage());
    }
  }
}
