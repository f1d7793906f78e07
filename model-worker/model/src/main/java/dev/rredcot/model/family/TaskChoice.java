package dev.rredcot.model.family;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The task family a command runs on, resolved once from {@code --task}: a built-in family ({@code
 * arith}, {@code countdown}), which has difficulty levels and a shipped initial policy, or any
 * family of {@link TaskFamilyRegistry}'s syntax ({@code [NAME=]FILE.jsonl[:exact|numeric|math]}),
 * which has neither.
 *
 * @param spec what {@code --task} said
 * @param family the family, as its problems are generated and verified
 * @param builtIn the built-in family with its shipped policy, if it is one
 */
public record TaskChoice(String spec, TaskFamily family, Optional<BuiltInTask> builtIn) {

  /** Validates. */
  public TaskChoice {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(builtIn, "builtIn");
  }

  /**
   * Reads {@code --task}: a built-in name or a JSONL family entry.
   *
   * @throws IllegalArgumentException naming what is wrong (an unknown name, a file that does not
   *     read)
   */
  public static TaskChoice parse(String spec) {
    for (BuiltInTask task : BuiltInTask.values()) {
      if (task.familyName().equals(spec)) {
        return new TaskChoice(spec, task.trained(), Optional.of(task));
      }
    }
    if (!spec.contains(".jsonl")) {
      throw new IllegalArgumentException(
          "unknown task '" + spec + "': use arith, countdown or a JSONL family FILE.jsonl");
    }
    TaskFamilyRegistry registry = TaskFamilyRegistry.parse(spec);
    try {
      return new TaskChoice(
          spec, registry.resolve(registry.names().iterator().next()), Optional.empty());
    } catch (UnknownTaskFamilyException e) {
      throw new IllegalStateException("a registry resolves the names it lists", e);
    }
  }

  /** The family's name, as records carry it. */
  public String name() {
    return family.name();
  }

  /**
   * The families a verifier or the credit job takes for this choice, in {@link
   * TaskFamilyRegistry#parse}'s syntax: the built-ins, and this family when it is not one.
   */
  public String familiesSpec() {
    String builtIns = String.join(",", TaskFamilyRegistry.builtIn().names());
    return builtIn.isPresent() ? builtIns : builtIns + "," + spec;
  }

  /** {@link #familiesSpec()} read. */
  public TaskFamilyRegistry registry() {
    return TaskFamilyRegistry.parse(familiesSpec());
  }

  /**
   * The built-in family, for a command that needs its difficulty levels or shipped policy.
   *
   * @param command the command, for the message
   * @throws IllegalArgumentException in one line that says what to use instead
   */
  public BuiltInTask requireBuiltIn(String command) {
    return builtIn.orElseThrow(
        () ->
            new IllegalArgumentException(
                command
                    + " runs arith or countdown only (it needs a family's difficulty levels and"
                    + " shipped policy); "
                    + name()
                    + " is a JSONL family: run trainer, worker and feeder with --task "
                    + spec
                    + " and --store DIR holding a policy that can write it"));
  }

  /**
   * Writes the family's shipped policy into the empty {@code store} and returns it.
   *
   * @param command the command, for the message
   * @throws IllegalArgumentException in one line when the family has no shipped policy (a JSONL
   *     family): the store must already hold one
   */
  public Checkpoint materialiseShipped(CheckpointStore store, String command) throws IOException {
    if (builtIn.isEmpty()) {
      throw new IllegalArgumentException(
          command
              + ": the store "
              + store.root()
              + " is empty and task family "
              + name()
              + " has no shipped policy: give --store DIR holding a policy that can write it");
    }
    return builtIn.get().materialiseShipped(store);
  }

  /** How the shipped policy is called in messages: {@code initial} for arith, else the name. */
  public String shippedPolicyName() {
    return builtIn.isPresent() && builtIn.get() == BuiltInTask.ARITH ? "initial" : name();
  }

  /**
   * Why {@code checkpoint}'s tokenizer cannot write a problem of the family (its prompt and
   * reference solution), or empty when it can.
   */
  public Optional<String> unwritable(Checkpoint checkpoint) throws IOException {
    return unwritable(Tokenizer.load(checkpoint.dir()));
  }

  /** Why {@code tokenizer} cannot write a problem of the family, or empty when it can. */
  public Optional<String> unwritable(Tokenizer tokenizer) {
    Problem problem = family.generate(0);
    try {
      tokenizer.encode(problem.prompt() + problem.solution());
      return Optional.empty();
    } catch (UnmappableTextException e) {
      return Optional.of(e.getMessage());
    }
  }
}
