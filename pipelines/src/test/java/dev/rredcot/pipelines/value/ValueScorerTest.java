package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.ScoreRequest;
import dev.rredcot.model.policy.ValueRequest;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
}
