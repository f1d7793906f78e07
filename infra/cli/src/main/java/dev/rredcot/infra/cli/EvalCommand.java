package dev.rredcot.infra.cli;

import dev.rredcot.infra.evaluation.CreditEvaluation;
import dev.rredcot.infra.evaluation.CreditEvaluationOptions;
import dev.rredcot.infra.evaluation.CreditEvaluationResult;
import dev.rredcot.infra.evaluation.LearningArm;
import dev.rredcot.infra.evaluation.LearningEvaluation;
import dev.rredcot.infra.evaluation.LearningEvaluationOptions;
import dev.rredcot.infra.evaluation.LearningEvaluationResult;
import dev.rredcot.model.backend.BackendKind;
import dev.rredcot.model.loading.BackendKinds;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rredcot eval}: the evidence behind choosing a credit method, one command each. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Evaluate credit methods; each writes DIR/summary.json and DIR/report.html.",
    subcommands = {EvalCommand.Credit.class, EvalCommand.Learning.class})
final class EvalCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static void printOutcome(PrintWriter out, Path summary, Path report, Object methods) {
    out.printf("eval: %s%n", methods);
    out.printf("eval: summary %s%neval: report  %s%n", summary, report);
    out.flush();
  }

  /** {@code rredcot eval credit}: fidelity of every estimator against high-M Monte Carlo. */
  @Command(
      name = "credit",
      mixinStandardHelpOptions = true,
      description = {
        "Credit fidelity: held-out rollouts (3-5 steps, correct and wrong), ground-truth values"
            + " by Monte Carlo with large M at every boundary, then every estimator (rredcot"
            + " answer and bank, MC with M = 1..8, leave-one-out, gradient x input, flat GRPO)"
            + " scored on Spearman/Pearson with bootstrap intervals, first-error localisation and"
            + " model-token cost; plus segmentation ablations. About 5 minutes with defaults."
      })
  static final class Credit implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(
        names = "--task",
        description =
            "Task family: arith (default) or countdown (its own shipped policy; localisation"
                + " against the first doomed line); a JSONL family has neither and is refused.")
    String task;

    @Option(
        names = "--level",
        description =
            "Countdown level the rollouts come from (forks, two-moves, wide or deep; default the"
                + " shipped policy's, forks), at its own number of moves unless --levels is given.")
    String level;

    @Option(
        names = "--mix",
        defaultValue = "balanced",
        description =
            "balanced (default: half correct, one correct and one wrong trace per prompt) or"
                + " natural (every trace of each group as sampled: the groups the trainer sees).")
    String mix;

    @Option(
        names = "--group-size",
        description =
            "Traces sampled per prompt, the group a bank is built from (default 4; the learning"
                + " evaluation and the demo use 8).")
    Integer groupSize;

    @Option(names = "--rollouts", description = "Held-out rollouts to score.")
    Integer rollouts;

    @Option(names = "--mc-truth", description = "Monte Carlo samples per boundary for the truth.")
    Integer mcTruth;

    @Option(names = "--store", description = "Policy to evaluate (default: shipped).")
    Path checkpointStore;

    @Option(
        names = "--model",
        paramLabel = "DIR|URL",
        description =
            "Policy to evaluate as a model directory: a built-in checkpoint or store. The"
                + " evaluation samples held-out rollouts and Monte Carlo truth and runs the"
                + " gradient baseline, so a completions URL (scoring only) is refused.")
    String model;

    @Option(names = "--seed", description = "Random seed.")
    Long seed;

    @Option(
        names = "--levels",
        split = ",",
        description =
            "Difficulty levels (steps per problem) the rollouts are spread over (default 3,4,5;"
                + " e.g. 3,4,5,6,7,8 with a policy that has seen longer chains).")
    List<Integer> levels;

    @Option(
        names = "--max-tokens",
        description =
            "Most tokens per sampled trace and per Monte Carlo continuation (default 64; longer"
                + " chains need more, within the model's context).")
    Integer maxTokens;

    @Option(
        names = "--ablation-rollouts",
        description = "Rollouts of the segmentation ablations (0 skips them; default 24).")
    Integer ablationRollouts;

    /**
     * The built-in checkpoint or store {@code --model} names: the evaluation generates and takes
     * gradients, which only the built-in policy does today; anything else is a usage error.
     */
    private Path evaluableModel(String model) {
      if (checkpointStore != null) {
        throw new ParameterException(
            spec.commandLine(), "--model replaces --store: give one or the other");
      }
      if (BackendKinds.isUrl(model)) {
        throw new ParameterException(
            spec.commandLine(),
            "eval credit samples held-out rollouts and Monte Carlo truth with the policy:"
                + " a completions server (--model "
                + model
                + ") serves scoring only; give a model directory");
      }
      Path dir = Path.of(model);
      Optional<BackendKind> kind = BackendKinds.recognise(dir);
      if (kind.isEmpty() || kind.get() != BackendKinds.BUILTIN) {
        throw new ParameterException(
            spec.commandLine(),
            "eval credit runs the built-in policy (checkpoint or store); "
                + dir
                + (kind.isEmpty() ? " holds no model" : " is a " + kind.get().name() + " model"));
      }
      return dir;
    }

    @Override
    public Integer call() throws Exception {
      RredcotCli.logToFiles(spec, out.resolve("logs"), "eval-credit");
      CreditEvaluationOptions.Builder options = CreditEvaluationOptions.builder().setOutDir(out);
      if (task != null) {
        options.optTask(TaskOption.builtIn(spec, TaskOption.resolve(spec, task)));
      }
      if (levels != null) {
        options.optLevels(levels);
      }
      if (level != null) {
        options.optCountdownLevel(level);
      }
      if (!mix.equals("balanced") && !mix.equals("natural")) {
        throw new ParameterException(
            spec.commandLine(), "--mix takes balanced or natural, not " + mix);
      }
      options.optNaturalMix(mix.equals("natural"));
      if (groupSize != null) {
        options.optGroupSize(groupSize);
      }
      if (ablationRollouts != null) {
        options.optAblationRollouts(ablationRollouts);
      }
      if (maxTokens != null) {
        options.optMaxTokens(maxTokens);
      }
      if (rollouts != null) {
        options.optRollouts(rollouts);
      }
      if (mcTruth != null) {
        options.optMcTruthSamples(mcTruth);
      }
      if (checkpointStore != null) {
        options.optCheckpointStore(checkpointStore);
      }
      if (model != null) {
        options.optCheckpointStore(evaluableModel(model));
      }
      if (seed != null) {
        options.optSeed(seed);
      }
      CreditEvaluationResult result = CreditEvaluation.run(options.build());
      printOutcome(
          spec.commandLine().getOut(),
          result.summaryFile(),
          result.reportFile(),
          result.methods().keySet());
      return 0;
    }
  }

  /** {@code rredcot eval learning}: held-out accuracy per rollout budget, by credit arm. */
  @Command(
      name = "learning",
      mixinStandardHelpOptions = true,
      description = {
        "Learning: the same initial policy, training prompts and rollout budget for every arm"
            + " (grpo, or <rule>:<values> such as rudder:bank and the ceiling rudder:reach*mc16),"
            + " seed by seed, in process through the stage code; held-out sampled and greedy"
            + " accuracy against rollouts consumed, rollouts to a target accuracy and area under"
            + " the curve as paired differences with GRPO (bootstrap intervals over seeds), each"
            + " arm's share of the ceiling's gain, wall time per training step. The defaults (5"
            + " arms x 8 seeds x 6144 rollouts, 1024 held-out prompts) take hours on 2 cores;"
            + " scale down with --seeds, --rollouts-budget, --eval-prompts and --arms."
      })
  static final class Learning implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(
        names = "--task",
        description =
            "Task family: arith (default) or countdown (its own shipped policy; localisation"
                + " against the first doomed line); a JSONL family has neither and is refused.")
    String task;

    @Option(
        names = "--level",
        description =
            "Countdown level trained and evaluated on: forks (default, the shipped policy's),"
                + " two-moves, wide (numbers 1..9, targets 10..60: five times the instances) or"
                + " deep (5 numbers, targets 20..100 four moves away; warm a policy up there with"
                + " pretrain --task countdown --level deep and give it with --store).")
    String level;

    @Option(names = "--seeds", description = "Paired seeds per arm (default 8).")
    Integer seeds;

    @Option(names = "--rollouts-budget", description = "Rollouts per run (default 6144).")
    Integer rolloutsBudget;

    @Option(
        names = "--arms",
        split = ",",
        description =
            "Arms: grpo or <rule>:<values>, rule reweight, dense, rudder, rudder-anchored, rudder-calibrated or rudder-calibrated-prior (with -rms, e.g."
                + " rudder-rms:bank: each batch's advantages divided by their token RMS, GRPO's"
                + " step size); values answer, bank, bank-aligned, bank-spliced, bank-spliced-loo, bank+greedy, bank+reach, mc<M>, reach,"
                + " reach*mc<M> (default grpo, rudder:reach*mc16 on countdown or rudder:mc16 on"
                + " arith, rudder:bank, reweight:bank, dense:bank).")
    List<String> arms;

    @Option(
        names = "--ceiling",
        description =
            "The arm whose gain over grpo the others' ceiling_share divides by (default: the"
                + " first arm on Monte Carlo values).")
    String ceiling;

    @Option(
        names = "--value-scale",
        description = "c of the rudder rule, A = c*r_k + mix*A_grpo (default 2).")
    Double valueScale;

    @Option(names = "--grpo-mix", description = "mix of the rudder rule (default 0).")
    Double grpoMix;

    @Option(names = "--eval-prompts", description = "Held-out prompts (default 1024).")
    Integer evalPrompts;

    @Option(names = "--evaluate-every", description = "Held-out evaluation every N steps.")
    Integer evaluateEvery;

    @Option(
        names = "--target-gain",
        description =
            "Target accuracy = initial held-out sampled accuracy + this (absolute; default 0.10).")
    Double targetGain;

    @Option(
        names = "--workers",
        description = "Runs trained at once (default: available processors).")
    Integer workers;

    @Option(names = "--store", description = "Initial policy (default: shipped).")
    Path checkpointStore;

    @Option(
        names = "--recompare",
        description =
            "Train nothing: add to the summary.json of an earlier run in --out the comparisons"
                + " this version computes from its curves (rollouts to GRPO's final accuracy), and"
                + " write report.html again.")
    boolean recompare;

    @Option(
        names = "--ceiling-from",
        paramLabel = "DIR",
        description =
            "With --recompare: take the ceiling arm (--ceiling) from the run in DIR, whose"
                + " pairing settings (policy, task, seeds, budget, evaluation points, training)"
                + " must equal this run's, and compute every arm's ceiling share against it.")
    Path ceilingFrom;

    @Override
    public Integer call() throws Exception {
      if (recompare) {
        if (ceilingFrom != null && ceiling == null) {
          throw new ParameterException(
              spec.commandLine(), "--ceiling-from needs --ceiling ARM (e.g. rudder:reach*mc8)");
        }
        Path summary = LearningEvaluation.recompare(out, ceilingFrom, ceiling);
        spec.commandLine().getOut().printf("eval learning: comparisons added to %s%n", summary);
        return 0;
      }
      RredcotCli.logToFiles(spec, out.resolve("logs"), "eval-learning");
      LearningEvaluationOptions.Builder options =
          LearningEvaluationOptions.builder().setOutDir(out);
      if (task != null) {
        options.optTask(TaskOption.builtIn(spec, TaskOption.resolve(spec, task)));
      }
      if (level != null) {
        options.optLevel(level);
      }
      if (seeds != null) {
        options.optSeeds(seeds);
      }
      if (rolloutsBudget != null) {
        options.optRolloutBudget(rolloutsBudget);
      }
      if (arms != null) {
        options.optArms(LearningArm.parse(arms));
      }
      if (ceiling != null) {
        options.optCeilingArm(ceiling);
      }
      if (valueScale != null) {
        options.optValueScale(valueScale);
      }
      if (grpoMix != null) {
        options.optGrpoMix(grpoMix);
      }
      if (evalPrompts != null) {
        options.optEvalPrompts(evalPrompts);
      }
      if (evaluateEvery != null) {
        options.optEvaluateEverySteps(evaluateEvery);
      }
      if (workers != null) {
        options.optWorkers(workers);
      }
      if (targetGain != null) {
        options.optTargetGainPoints(targetGain);
      }
      if (checkpointStore != null) {
        options.optCheckpointStore(checkpointStore);
      }
      LearningEvaluationResult result = LearningEvaluation.run(options.build());
      printOutcome(
          spec.commandLine().getOut(),
          result.summaryFile(),
          result.reportFile(),
          result.methods().keySet());
      return 0;
    }
  }
}
