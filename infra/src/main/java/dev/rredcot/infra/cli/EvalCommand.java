package dev.rredcot.infra.cli;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.evaluation.CreditEvaluation;
import dev.rredcot.pipelines.evaluation.CreditEvaluationOptions;
import dev.rredcot.pipelines.evaluation.CreditEvaluationResult;
import dev.rredcot.pipelines.evaluation.LearningEvaluation;
import dev.rredcot.pipelines.evaluation.LearningEvaluationOptions;
import dev.rredcot.pipelines.evaluation.LearningEvaluationResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    @Option(names = "--rollouts", description = "Held-out rollouts to score.")
    Integer rollouts;

    @Option(names = "--mc-truth", description = "Monte Carlo samples per boundary for the truth.")
    Integer mcTruth;

    @Option(names = "--checkpoint-store", description = "Policy to evaluate (default: shipped).")
    Path checkpointStore;

    @Option(names = "--seed", description = "Random seed.")
    Long seed;

    @Override
    public Integer call() throws Exception {
      CreditEvaluationOptions.Builder options = CreditEvaluationOptions.builder().setOutDir(out);
      if (rollouts != null) {
        options.optRollouts(rollouts);
      }
      if (mcTruth != null) {
        options.optMcTruthSamples(mcTruth);
      }
      if (checkpointStore != null) {
        options.optCheckpointStore(checkpointStore);
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

  /** {@code rredcot eval learning}: held-out accuracy per rollout budget, by credit method. */
  @Command(
      name = "learning",
      mixinStandardHelpOptions = true,
      description = {
        "Learning: the same initial policy and rollout budget for grpo, rredcot-reweight and"
            + " rredcot-dense over several seeds (in process, through the same stage code);"
            + " held-out accuracy against rollouts consumed, rollouts to a target accuracy,"
            + " final accuracy. About 17 minutes for 3 seeds with defaults."
      })
  static final class Learning implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--seeds", description = "Seeds per method.")
    Integer seeds;

    @Option(names = "--rollouts-budget", description = "Rollouts per run.")
    Integer rolloutsBudget;

    @Option(
        names = "--methods",
        split = ",",
        description = "Advantage rules (default grpo,rredcot-reweight,rredcot-dense).")
    List<String> methods;

    @Option(names = "--checkpoint-store", description = "Initial policy (default: shipped).")
    Path checkpointStore;

    @Override
    public Integer call() throws Exception {
      LearningEvaluationOptions.Builder options =
          LearningEvaluationOptions.builder().setOutDir(out);
      if (seeds != null) {
        options.optSeeds(seeds);
      }
      if (rolloutsBudget != null) {
        options.optRolloutBudget(rolloutsBudget);
      }
      if (methods != null) {
        options.optMethods(methods.stream().map(AdvantageRule::fromOption).toList());
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
