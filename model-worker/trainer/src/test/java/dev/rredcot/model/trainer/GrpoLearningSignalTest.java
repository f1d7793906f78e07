package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.task.NoisySolver;
import dev.rredcot.model.task.Problem;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real learning signal through the trainer: groups of verified traces (reference solutions and
 * noisy wrong ones), GRPO advantages from their rewards, a few {@link TrainerCore} steps with a
 * fixed seed; the policy must then prefer the correct traces more than before.
 */
@Tag("slow")
class GrpoLearningSignalTest {

  private static final ArithmeticTask TASK = ArithmeticTask.defaults();

  @TempDir Path dir;

  @Test
  void fewGrpoStepsRaiseTheLogProbabilityOfCorrectTraces() throws IOException {
    CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 3);
    TrainerFixtures.writeInitialPolicy(store);
    List<Problem> problems = new ArrayList<>();
    List<List<String>> traces = new ArrayList<>();
    NoisySolver alwaysSlips = new NoisySolver(1.0);
    Random random = new Random(3);
    for (long seed = 0; seed < 4; seed++) {
      Problem problem = TASK.generate(seed);
      problems.add(problem);
      traces.add(
          List.of(
              problem.solution(),
              alwaysSlips.solve(problem, random).trace(),
              problem.solution(),
              alwaysSlips.solve(problem, random).trace()));
    }
    try (TrainerCore core =
        TrainerCore.open(
            store,
            dir.resolve("progress"),
            TrainerOptions.builder()
                .optBatchGroups(4)
                .optStaleness(100, StalenessMode.DROP)
                .optTrainOptions(
                    dev.rredcot.model.policy.PolicyUpdateOptions.builder()
                        .optLearningRate(3e-3)
                        .build())
                .build())) {
      double[] before = meanLogProbs(core.policy(), problems, traces);
      long offset = 0;
      for (int step = 0; step < 5; step++) {
        for (CreditedRollout record : credited(core.policy(), problems, traces, step)) {
          core.offer(record, 0, offset++);
        }
      }
      double[] after = meanLogProbs(core.policy(), problems, traces);
      assertTrue(core.stats().steps() == 5, "five steps ran: " + core.stats());
      assertTrue(
          after[0] > before[0] + 0.05,
          "correct traces: mean log-prob per token " + before[0] + " -> " + after[0]);
      assertTrue(
          after[0] - after[1] > before[0] - before[1] + 0.05,
          "margin correct - wrong: " + (before[0] - before[1]) + " -> " + (after[0] - after[1]));
    }
  }

  /** One GRPO group per problem at the policy's current version, rewards from the verifier. */
  private static List<CreditedRollout> credited(
      TrainablePolicy policy, List<Problem> problems, List<List<String>> traces, int round) {
    List<CreditedRollout> out = new ArrayList<>();
    for (int p = 0; p < problems.size(); p++) {
      Problem problem = problems.get(p);
      List<String> group = traces.get(p);
      double[] rewards = new double[group.size()];
      for (int i = 0; i < group.size(); i++) {
        rewards[i] = TASK.verify(problem, group.get(i)).reward();
      }
      double[] advantages = GroupAdvantages.grpo(rewards, GroupAdvantages.DEFAULT_EPSILON);
      String groupId = problem.id() + "#" + round;
      for (int i = 0; i < group.size(); i++) {
        int[] tokens = policy.tokenizer().encode(group.get(i));
        float[] behaviour =
            policy.score(List.of(new ScoreRequest(problem.prompt(), tokens))).get(0).logProbs();
        List<Integer> tokenIds = new ArrayList<>();
        List<Float> logProbs = new ArrayList<>();
        List<Float> tokenAdvantages = new ArrayList<>();
        for (int t = 0; t < tokens.length; t++) {
          tokenIds.add(tokens[t]);
          logProbs.add(behaviour[t]);
          tokenAdvantages.add((float) advantages[i]);
        }
        out.add(
            CreditedRollout.newBuilder()
                .setRolloutId(groupId + "/" + i)
                .setPromptId(problem.id())
                .setGroupId(groupId)
                .setSampleIndex(i)
                .setGroupSize(group.size())
                .setGroupCount(group.size())
                .setGroupComplete(true)
                .setPolicyVersion(policy.version())
                .setScoringPolicyVersion(null)
                .setPromptText(problem.prompt())
                .setTokenIds(tokenIds)
                .setText(group.get(i))
                .setLogProbs(logProbs)
                .setReward(rewards[i])
                .setCreditMethod("grpo")
                .setValueEstimator("none")
                .setSegmentation("single")
                .setSegmentBoundaries(List.of(0, tokens.length))
                .setBoundaryValues(List.of(0.5, rewards[i]))
                .setSegmentRewards(List.of(rewards[i] - 0.5))
                .setTokenAdvantages(tokenAdvantages)
                .setGroupMean(0.5)
                .setGroupStd(0.5)
                .setCreatedAtMs(Instant.EPOCH)
                .setCreditedAtMs(Instant.EPOCH)
                .build());
      }
    }
    return out;
  }

  /** {mean log-prob per token of correct traces, of wrong traces}. */
  private static double[] meanLogProbs(
      TrainablePolicy policy, List<Problem> problems, List<List<String>> traces) {
    double[] sum = new double[2];
    long[] count = new long[2];
    for (int p = 0; p < problems.size(); p++) {
      for (String trace : traces.get(p)) {
        int kind = TASK.verify(problems.get(p), trace).isCorrect() ? 0 : 1;
        float[] logProbs =
            policy
                .score(
                    List.of(
                        new ScoreRequest(
                            problems.get(p).prompt(), policy.tokenizer().encode(trace))))
                .get(0)
                .logProbs();
        for (float lp : logProbs) {
          sum[kind] += lp;
          count[kind]++;
        }
      }
    }
    return new double[] {sum[0] / count[0], sum[1] / count[1]};
  }
}
