package dev.rredcot.infra.cli;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.pretrain.PretrainResult;
import dev.rredcot.model.pretrain.Pretrainer;
import dev.rredcot.model.task.ArithmeticTask;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
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
      "Train an initial policy on generated arithmetic traces with a controlled share of wrong"
          + " steps, so it solves roughly half of 4-step problems and leaves room for RL. About"
          + " 5 minutes on 2 cores with the defaults (the settings of the shipped policy)."
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
    Path root = store != null ? store : cli.home().checkpointsDir().resolve("pretrained");
    PretrainOptions.Builder options =
        PretrainOptions.builder().optOutput(new CheckpointStore(root, Integer.MAX_VALUE), version);
    if (steps != null) {
      options.optSteps(steps);
    }
    if (seed != null) {
      options.optSeed(seed);
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
        "pretrain: %d steps, final loss %.4f, accuracy %.1f%% on fresh 4-step problems"
            + " (temperature 1), %,d parameters, %.0f s%n",
        result.steps(),
        result.finalLoss(),
        100 * result.accuracy(),
        result.parameterCount(),
        result.wallTimeMs() / 1000.0);
    out.printf("pretrain: checkpoint %s%n", result.checkpoint().dir());
    out.flush();
    return 0;
  }
}
