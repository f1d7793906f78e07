package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Values of the policy estimators from {@link ValueScorer} on a tiny random policy. */
class ValueScorerTest {
  /** A correct solution that starts differently from the reference and then joins it. */
  private static final String SWAPPED = "30+12=42\n42-5=37\nA: 37\n";

  @TempDir static Path store;
  private static Policy policy;

  @BeforeAll
  static void loadPolicy() throws IOException {
    policy = Policy.load(TinyPolicies.save(store, 1, 11));
  }

  @AfterAll
  static void closePolicy() {
    policy.close();
  }

  private static double[] values(
      ValueEstimator estimator, ModelSettings settings, String... texts) {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      // Correct means the right answer line (the tiny policies' own reward knows only CORRECT).
      rollouts.add(
          TinyPolicies.rollout("g", i, texts.length, texts[i])
              .setReward(texts[i].endsWith("A: 37\n") ? 1.0 : 0.0)
              .build());
    }
    TraceGroup group = TinyPolicies.group("g", texts.length, rollouts);
    ValueScorer.Outcome outcome =
        new ValueScorer(estimator, settings)
            .score(policy, group, List.of(group.traces().get(0)), ValueScorer.BatchObserver.NONE)
            .get(0);
    assertNull(outcome.failure());
    return outcome.values();
  }

  @Test
  void bankValueOfTheReferenceTraceIsItsOwnRestProbabilityAndTheLastIsItsReward() {
    Rollout rollout = TinyPolicies.rollout("g", 0, 1, TinyPolicies.CORRECT).build();
    int[] boundaries = TinyPolicies.lineBoundaries(rollout);
    int[] tokens = TinyPolicies.TOKENIZER.encode(TinyPolicies.CORRECT);
    double[] values =
        values(ValueEstimator.BANK, TinyPolicies.settings(store), TinyPolicies.CORRECT);
    float[] lp =
        policy.score(List.of(new ScoreRequest(TinyPolicies.PROMPT, tokens))).get(0).logProbs();
    assertEquals(boundaries.length, values.length);
    for (int k = 0; k < boundaries.length - 1; k++) {
      double sum = 0;
      for (int j = boundaries[k]; j < tokens.length; j++) {
        sum += lp[j];
      }
      assertEquals(Math.exp(sum), values[k], 1e-4 * Math.exp(sum), "boundary " + k);
    }
    assertEquals(1.0, values[boundaries.length - 1]);
  }

  @Test
  void bankValuesWithAndWithoutKvCacheReuseAgree() {
    for (String trace : List.of(TinyPolicies.CORRECT, TinyPolicies.WRONG)) {
      double[] reused = values(ValueEstimator.BANK, TinyPolicies.settings(store), trace, SWAPPED);
      double[] rerun =
          values(
              ValueEstimator.BANK,
              ModelSettings.builder()
                  .setCheckpointDir(store.toString())
                  .optReuseKvCache(false)
                  .build(),
              trace,
              SWAPPED);
      for (int k = 0; k < rerun.length; k++) {
        assertEquals(rerun[k], reused[k], 1e-4 * rerun[k], trace + " boundary " + k);
      }
    }
  }

  @Test
  void bankSumsEachDistinctRemainderOnce() {
    double[] referenceOnly =
        values(ValueEstimator.BANK, TinyPolicies.settings(store), TinyPolicies.WRONG);
    double[] withSwapped =
        values(ValueEstimator.BANK, TinyPolicies.settings(store), TinyPolicies.WRONG, SWAPPED);
    // At the start the swapped solution is a second remainder; after the first line it has the
    // reference's rest, which is counted once.
    assertTrue(withSwapped[0] > referenceOnly[0], withSwapped[0] + " vs " + referenceOnly[0]);
    for (int k = 1; k < referenceOnly.length - 1; k++) {
      assertEquals(referenceOnly[k], withSwapped[k], 1e-9 * referenceOnly[k], "boundary " + k);
    }
  }

  @Test
  void everyPolicyEstimatorPutsTheRewardAtTheFinishedTrace() {
    for (ValueEstimator estimator :
        List.of(ValueEstimator.ANSWER, ValueEstimator.BANK, ValueEstimator.MC)) {
      double[] wrong =
          values(estimator, TinyPolicies.settings(store), TinyPolicies.WRONG, TinyPolicies.CORRECT);
      assertEquals(0.0, wrong[wrong.length - 1], estimator.optionValue());
      double[] right = values(estimator, TinyPolicies.settings(store), TinyPolicies.CORRECT);
      assertEquals(1.0, right[right.length - 1], estimator.optionValue());
    }
  }

  @Test
  void answerValuesAreScoredAtTheUnfinishedBoundariesOnly() {
    Rollout rollout = TinyPolicies.rollout("g", 0, 1, TinyPolicies.WRONG).build();
    int[] boundaries = TinyPolicies.lineBoundaries(rollout);
    int[] unfinished = Arrays.copyOf(boundaries, boundaries.length - 1);
    long before = policy.forwardTokens();
    double[] values =
        values(ValueEstimator.ANSWER, TinyPolicies.settings(store), TinyPolicies.WRONG);
    long used = policy.forwardTokens() - before;
    before = policy.forwardTokens();
    double[] direct =
        policy
            .answerValues(
                List.of(
                    new ValueRequest(
                        TinyPolicies.PROMPT,
                        TinyPolicies.TOKENIZER.encode(TinyPolicies.WRONG),
                        unfinished,
                        "A: ",
                        "37\n")),
                true)
            .get(0);
    assertEquals(policy.forwardTokens() - before, used);
    assertArrayEquals(direct, Arrays.copyOf(values, unfinished.length), 1e-9);
  }

  /**
   * Bank values of every trace of a group of {@code texts} (correct when they end with the right
   * answer line), each cut after every line and also at {@code extraCut} tokens when that is inside
   * the trace.
   */
  private static List<double[]> groupBankValues(
      ModelSettings settings, int extraCut, String... texts) {
    List<TraceCredit> traces = new ArrayList<>();
    List<Double> rewards = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      Rollout rollout =
          TinyPolicies.rollout("g", i, texts.length, texts[i])
              .setReward(texts[i].endsWith("A: 37\n") ? 1.0 : 0.0)
              .build();
      int[] boundaries =
          IntStream.concat(
                  Arrays.stream(TinyPolicies.lineBoundaries(rollout)),
                  IntStream.of(extraCut).filter(cut -> cut > 0 && cut < texts[0].length()))
              .distinct()
              .sorted()
              .toArray();
      traces.add(TraceCredit.of(rollout).withSegments("keyword", boundaries, 0));
      rewards.add(rollout.getReward());
    }
    TraceGroup group = new TraceGroup("g", texts.length, true, GroupStatistics.of(rewards), traces);
    List<double[]> values = new ArrayList<>();
    for (ValueScorer.Outcome outcome :
        new ValueScorer(ValueEstimator.BANK, settings)
            .score(policy, group, group.traces(), ValueScorer.BatchObserver.NONE)) {
      assertNull(outcome.failure());
      values.add(outcome.values());
    }
    return values;
  }

  @Test
  void groupBankValuesReadingBankTextsFromTheContextPassEqualRerunningEveryRemainder() {
    // Correct traces (the reference and one that joins it), a trace that leaves the reference
    // after its first line and one that leaves it inside its second line; cuts inside a line too.
    String[] texts = {
      TinyPolicies.CORRECT,
      SWAPPED,
      TinyPolicies.WRONG,
      "12+30=42\n42-6=36\nA: 36\n",
      "12+30=43\n43-5=38\nA: 38\n"
    };
    for (int extraCut : new int[] {0, 4, 12}) {
      long before = policy.forwardTokens();
      List<double[]> reused = groupBankValues(TinyPolicies.settings(store), extraCut, texts);
      long reuseTokens = policy.forwardTokens() - before;
      before = policy.forwardTokens();
      List<double[]> rerun =
          groupBankValues(
              ModelSettings.builder()
                  .setCheckpointDir(store.toString())
                  .optReuseKvCache(false)
                  .build(),
              extraCut,
              texts);
      long rerunTokens = policy.forwardTokens() - before;
      assertTrue(reuseTokens < rerunTokens, reuseTokens + " vs " + rerunTokens);
      for (int i = 0; i < texts.length; i++) {
        assertEquals(rerun.get(i).length, reused.get(i).length);
        for (int k = 0; k < rerun.get(i).length; k++) {
          assertEquals(
              rerun.get(i)[k],
              reused.get(i)[k],
              1e-4 * rerun.get(i)[k],
              "trace " + i + " boundary " + k + " cut " + extraCut);
        }
      }
    }
  }

  @Test
  void aGroupOfBankTextsCostsOnePassPerDistinctTextAndNoSuffixRows() {
    long before = policy.forwardTokens();
    groupBankValues(
        TinyPolicies.settings(store),
        0,
        TinyPolicies.CORRECT,
        TinyPolicies.CORRECT,
        TinyPolicies.CORRECT);
    int context = 1 + TinyPolicies.PROMPT.length();
    assertEquals(context + TinyPolicies.CORRECT.length(), policy.forwardTokens() - before);
    // Two correct texts: each one's rests after its lines are its own or the other's.
    before = policy.forwardTokens();
    groupBankValues(
        TinyPolicies.settings(store), 0, TinyPolicies.CORRECT, SWAPPED, TinyPolicies.CORRECT);
    assertEquals(
        2L * context + TinyPolicies.CORRECT.length() + SWAPPED.length(),
        policy.forwardTokens() - before);
  }
}
