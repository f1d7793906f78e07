package dev.rredcot.infra.cli;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import java.io.IOException;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --task} option of every command that generates, samples, trains on or credits one task
 * family: a built-in family or a JSONL family file, read once into a {@link TaskChoice}.
 */
public final class TaskOption {
  /** The option's help text, shared with the commands that declare {@code --task} themselves. */
  static final String DESCRIPTION =
      "Task family: arith (default), countdown, or a JSONL family [NAME=]FILE.jsonl"
          + "[:exact|numeric|math] (no shipped policy: give a store holding one).";

  @Option(
      names = "--task",
      defaultValue = "arith",
      paramLabel = "FAMILY",
      description = DESCRIPTION)
  String task = "arith";

  /** The chosen task; an unknown name or an unreadable file is a usage error that says why. */
  TaskChoice resolve(CommandSpec spec) {
    return resolve(spec, task);
  }

  /** {@code value} read as {@code --task}; an error is a usage error of {@code spec}. */
  static TaskChoice resolve(CommandSpec spec, String value) {
    try {
      return TaskChoice.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--task: " + e.getMessage());
    }
  }

  /**
   * The chosen built-in task, for a command that needs its difficulty levels or shipped policy; a
   * JSONL family is a one-line usage error that says what to run instead.
   */
  BuiltInTask resolveBuiltIn(CommandSpec spec) {
    return builtIn(spec, resolve(spec));
  }

  /** {@code choice}'s built-in task, or a one-line usage error of {@code spec}. */
  static BuiltInTask builtIn(CommandSpec spec, TaskChoice choice) {
    try {
      return choice.requireBuiltIn(spec.qualifiedName(" ").replaceFirst("^rredcot ", ""));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * Fails unless {@code checkpoint}'s tokenizer can write a problem of {@code task}: a policy of
   * another family would only produce dead letters.
   */
  static void requireCovers(CommandSpec spec, Checkpoint checkpoint, TaskChoice task)
      throws IOException {
    Optional<String> unwritable = task.unwritable(checkpoint);
    if (unwritable.isPresent()) {
      throw new ParameterException(
          spec.commandLine(),
          "the policy v"
              + checkpoint.version()
              + " in "
              + checkpoint.dir().getParent()
              + " cannot write "
              + task.name()
              + " problems ("
              + unwritable.get()
              + "): use a store holding a "
              + task.name()
              + " policy");
    }
  }
}
