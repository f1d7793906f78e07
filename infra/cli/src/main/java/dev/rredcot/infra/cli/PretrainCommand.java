package dev.rredcot.infra.cli;

import dev.rredcot.infra.evaluation.StartingPolicy;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.pretrain.PretrainResult;
import dev.rredcot.model.pretrain.Pretrainer;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.CountdownTask;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot pretrain}: the supervised warm-up that produces an initial policy (the shipped one
 * came from these defaults), written as a verified checkpoint.
 */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Train an initial policy on generated traces: arithmetic chains with a controlled share of"
          + " wrong steps (about 5 minutes on 2 cores with the defaults, the settings of the"
          + " shipped policy), or countdown traces from a solver that sometimes takes dead ends"
          + " (--task countdown, at any --level; --from continues an existing policy)."
    })
final class PretrainCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Option(
      names = "--store",
      description = "Checkpoint store to write to (default: $RREDCOT_HOME/checkpoints/pretrained).")
  Path store;

  @Option(names = "--version", defaultValue = "0", description = "Version to write.")
  long version;

  @Option(names = "--steps", description = "Optimiser steps (default: the shipped policy's).")
  Integer steps;

  @Option(names = "--seed", description = "Random seed (default: the shipped policy's).")
  Long seed;

  @Option(
      names = "--task",
      defaultValue = "arith",
      paramLabel = "FAMILY",
      description = "arith (default) or countdown; a JSONL family has no trace writer.")
  String task = "arith";

  @Option(
      names = "--level",
      description =
          "Countdown level to train and measure on (held-out instances): forks (default),"
              + " two-moves, wide or deep.")
  String level;

  @Option(
      names = "--from",
      paramLabel = "STORE|shipped",
      description =
          "Continue a policy instead of starting from random weights: the newest version in a"
              + " checkpoint store, or 'shipped' for the task's shipped policy.")
  String from;

  @Option(
      names = "--learning-rate",
      description =
          "Peak learning rate (default 2e-3, for random weights; continuing a trained policy with"
              + " --from wants a smaller one, e.g. 3e-4).")
  Double learningRate;

  @Option(
      names = "--snapshot-every",
      description = "Also measure and write a snapshot every N steps (as version + step).")
  Integer snapshotEvery;

  @Option(
      names = "--chain-steps",
      description =
          "Operations per training problem as MIN-MAX (default 1-4, as shipped; e.g. 1-8 for a"
              + " policy that has seen longer chains).")
  String chainSteps;

  @Option(
      names = "--answer-early",
      description =
          "Share of training traces that stop after a random line of a correct solution and"
              + " answer (teaches answering from partial work; default 0, as shipped).")
  Double answerEarly;

  @Override
  public Integer call() throws Exception {
    BuiltInTask family = TaskOption.builtIn(spec, TaskOption.resolve(spec, task));
    boolean countdown = family == BuiltInTask.COUNTDOWN;
    if (!countdown && level != null) {
      throw new ParameterException(spec.commandLine(), "--level is a countdown option");
    }
    if (countdown && (chainSteps != null || answerEarly != null)) {
      throw new ParameterException(
          spec.commandLine(), "--chain-steps and --answer-early are arith options");
    }
    Path root =
        store != null
            ? store
            : cli.home()
                .checkpointsDir()
                .resolve(countdown ? "pretrained-countdown" : "pretrained");
    PretrainOptions.Builder options =
        countdown ? PretrainOptions.countdownBuilder(countdownLevel()) : PretrainOptions.builder();
    options.optOutput(new CheckpointStore(root, Integer.MAX_VALUE), version);
    if (steps != null) {
      options.optSteps(steps);
    }
    if (seed != null) {
      options.optSeed(seed);
    }
    if (learningRate != null) {
      options.optLearningRate(learningRate);
    }
    if (snapshotEvery != null) {
      options.optSnapshotEvery(snapshotEvery);
    }
    if (from != null) {
      options.optInitialPolicy(initialPolicy(family));
    }
    if (answerEarly != null) {
      options.optAnswerEarlyRate(answerEarly);
    }
    if (chainSteps != null) {
      String[] range = chainSteps.split("-");
      if (range.length != 2) {
        throw new ParameterException(
            spec.commandLine(), "--chain-steps takes MIN-MAX, e.g. 1-8; got " + chainSteps);
      }
      options.optTaskConfig(
          ArithmeticTask.Config.builder()
              .optStepRange(Integer.parseInt(range[0].trim()), Integer.parseInt(range[1].trim()))
              .optOperandRange(
                  PretrainOptions.WARMUP_TASK.minOperand(),
                  PretrainOptions.WARMUP_TASK.maxOperand())
              .optOperators(PretrainOptions.WARMUP_TASK.operators())
              .build());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("pretrain: writing version %d to %s (progress is logged)%n", version, root);
    out.flush();
    PretrainResult result = Pretrainer.run(options.build());
    out.printf(
        Locale.ROOT,
        "pretrain: %d steps, final loss %.4f, accuracy %.1f%% on fresh %s (temperature 1),"
            + " %,d parameters, %.0f s%n",
        result.steps(),
        result.finalLoss(),
        100 * result.accuracy(),
        countdown
            ? "held-out " + (level != null ? level : "forks") + " instances"
            : "4-step problems",
        result.parameterCount(),
        result.wallTimeMs() / 1000.0);
    out.printf("pretrain: checkpoint %s%n", result.checkpoint().dir());
    out.flush();
    return 0;
  }

  private CountdownTask.Config countdownLevel() {
    try {
      return level == null
          ? PretrainOptions.COUNTDOWN_POLICY_TASK
          : CountdownTask.Config.level(level);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--level: " + e.getMessage());
    }
  }

  /**
   * The policy {@code --from} names: the newest version of a store (or a checkpoint directory), or
   * the task's shipped policy, found as the evaluations find their starting policy.
   */
  private Checkpoint initialPolicy(BuiltInTask family) throws IOException {
    Optional<Path> fromStore =
        from.equals("shipped") ? Optional.empty() : Optional.of(Path.of(from));
    if (fromStore.isPresent() && !Files.isDirectory(fromStore.get())) {
      throw new ParameterException(
          spec.commandLine(),
          "--from: no checkpoint store at " + fromStore.get() + " (or use 'shipped')");
    }
    return StartingPolicy.resolve(fromStore, StartingPolicy.initialPolicyStore(cli.home()), family);
  }
}
