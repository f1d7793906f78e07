package dev.rredcot.pipelines.credit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.CreditRollouts;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.TinyPolicies;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GroupCreditor} on a tiny random policy: for every advantage rule its {@code credit} equals
 * what the pipeline's stages produce for the same group (credited rollouts and dead letters), and a
 * group whose rewards are all equal gets advantage 0 on every token.
 */
@ExtendWith(TestPipelineExtension.class)
class GroupCreditorTest {
  @TempDir static Path store;
  private static Checkpoint checkpoint;

  @BeforeAll
  static void writePolicy() throws IOException {
    checkpoint = TinyPolicies.save(store, 1, 11);
  }

  private static CreditSettings settings(AdvantageRule rule) {
    return CreditSettings.builder()
        .optSegmentation(
            SegmentationSettings.builder()
                .setStrategy(SegmentationStrategy.HYBRID)
                .optTargetSegments(3)
                .build())
        .optValueEstimator(ValueEstimator.ANSWER)
        .optModel(TinyPolicies.settings(store))
        .optAdvantages(new TokenAdvantages.Settings(rule, GroupAdvantages.DEFAULT_EPSILON, 2.0))
        .build();
  }

  /**
   * Four well-formed traces, two correct, and one longer than the model's context, which the
   * segment step refuses when it scores the entropies the rollout lacks.
   */
  private static List<Rollout> mixedGroup() {
    String[] texts = {
      TinyPolicies.CORRECT, TinyPolicies.WRONG, TinyPolicies.CORRECT, TinyPolicies.WRONG
    };
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      rollouts.add(TinyPolicies.rollout("g", i, texts.length + 1, texts[i]).build());
    }
    rollouts.add(
        TinyPolicies.rollout("g", texts.length, texts.length + 1, "1+1=2\n".repeat(20) + "A: 38\n")
            .build());
    return rollouts;
  }

  private static List<Rollout> equalGroup(String text) {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      rollouts.add(TinyPolicies.rollout("g", i, 3, text).build());
    }
    return rollouts;
  }

  private static List<CreditedTrace> credit(AdvantageRule rule, List<Rollout> rollouts) {
    try (Policy policy = Policy.load(checkpoint)) {
      return settings(rule)
          .creditor()
          .credit(policy, TraceGroup.of("g", rollouts.size(), true, rollouts));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void grpoCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.GRPO);
  }

  @Test
  void reweightCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_REWEIGHT);
  }

  @Test
  void denseCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_DENSE);
  }

  @Test
  void rudderCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_RUDDER);
  }

  @Test
  void anchoredRudderCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_RUDDER_ANCHORED);
  }

  @Test
  void calibratedRudderCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_RUDDER_CALIBRATED);
  }

  @Test
  void calibratedPriorRudderCreditEqualsTheStages(TestPipeline pipeline) {
    assertCreditEqualsStages(pipeline, AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR);
  }

  @Test
  void groupWithAllRewardsEqualGetsZeroAdvantagesUnderTheRulesThatReadNoValues() {
    for (AdvantageRule rule : List.of(AdvantageRule.GRPO, AdvantageRule.RREDCOT_REWEIGHT)) {
      for (String text : List.of(TinyPolicies.CORRECT, TinyPolicies.WRONG)) {
        List<CreditedTrace> credited = credit(rule, equalGroup(text));
        assertThat(credited.size(), equalTo(3));
        for (CreditedTrace trace : credited) {
          assertNull(trace.failure(), rule + ": " + trace);
          // Several segments with distinct values, so dense's (G_k + v_0 − mean) is not 0 for k >
          // 1.
          assertThat(trace.boundaries().length, greaterThan(2));
          float[] advantages = trace.advantages();
          assertArrayEquals(
              new float[advantages.length], advantages, rule + " " + Arrays.toString(advantages));
        }
      }
    }
  }

  @Test
  void advantageStepKeepsAGroupWithEqualRewardsFiniteAndValueDrivenWhenValuesMove() {
    // A correct trace whose values rise 0.2 -> 0.9 -> 1.0 in a group where every trace is correct
    // (v_K is replaced by ζ = 1). Dense once gave the second segment (G_2 + v_0 − mean) / (std + ε)
    // = (0.1 + 0.2 − 1) / (0 + ε) = −7e5; the zero std is now replaced by 1 / c (c = 2):
    // dense = 2·(v_0 − v_{k−1}) = 0, −1.4; rudder = 2·r_k = 1.4, 0.2; anchored rudder = 2·(v_1 −
    // mean), 2·r_2 = −0.2, 0.2; grpo and reweight give 0.
    Rollout rollout = TinyPolicies.rollout("g", 0, 3, TinyPolicies.CORRECT).build();
    int tokens = rollout.getTokenIds().size();
    TraceCredit valued =
        TraceCredit.of(rollout)
            .withSegments("fixed", new int[] {0, 5, tokens}, 0)
            .withValues("answer", new double[] {0.2, 0.9, 0.7}, 1L, 0);
    GroupStatistics allCorrect = GroupStatistics.of(List.of(1.0, 1.0, 1.0));
    for (AdvantageRule rule : AdvantageRule.values()) {
      GroupCreditor creditor =
          GroupCreditor.builder()
              .optAdvantages(
                  new TokenAdvantages.Settings(rule, GroupAdvantages.DEFAULT_EPSILON, 2.0))
              .build();
      TraceStep redistributed = creditor.redistribute(valued);
      assertTrue(redistributed.succeeded());
      CreditedTrace credited = creditor.advantages(allCorrect, redistributed.trace());
      assertNull(credited.failure());
      float[] expected = new float[tokens];
      if (rule == AdvantageRule.RREDCOT_DENSE) {
        Arrays.fill(expected, 5, tokens, -1.4f);
      } else if (rule == AdvantageRule.RREDCOT_RUDDER_CALIBRATED_PRIOR) {
        // Calibrated to the Jeffreys estimate (3 + ½) / 4 = 0.875: α = ln 0.875 / ln 0.2 = 0.083,
        // clamped to 0.25, so values 0.2^¼ = 0.6687, 0.9^¼ = 0.9740, then ζ = 1.
        Arrays.fill(expected, 0, 5, (float) (2 * (Math.pow(0.9, 0.25) - Math.pow(0.2, 0.25))));
        Arrays.fill(expected, 5, tokens, (float) (2 * (1 - Math.pow(0.9, 0.25))));
      } else if (rule == AdvantageRule.RREDCOT_RUDDER
          || rule == AdvantageRule.RREDCOT_RUDDER_CALIBRATED) {
        // An all-correct group has no mean to calibrate to (mean 1): rudder's credit.
        Arrays.fill(expected, 0, 5, 1.4f);
        Arrays.fill(expected, 5, tokens, 0.2f);
      } else if (rule == AdvantageRule.RREDCOT_RUDDER_ANCHORED) {
        // r_1 = v_1 − mean = 0.9 − 1: 2·(−0.1) = −0.2; the second segment as rudder's.
        Arrays.fill(expected, 0, 5, -0.2f);
        Arrays.fill(expected, 5, tokens, 0.2f);
      }
      assertArrayEquals(expected, credited.advantages(), 1e-6f, rule.optionValue());
    }
  }

  private static void assertCreditEqualsStages(TestPipeline pipeline, AdvantageRule rule) {
    List<Rollout> rollouts = mixedGroup();
    Map<String, String> expectedCredit = new HashMap<>();
    Map<String, String> expectedFailures = new HashMap<>();
    for (CreditedTrace trace : credit(rule, rollouts)) {
      String id = trace.trace().rollout().getRolloutId();
      if (trace.succeeded()) {
        expectedCredit.put(
            id,
            describe(
                trace.boundaries(),
                trace.values(),
                trace.segmentRewards(),
                trace.advantages(),
                trace.trace().scoringPolicyVersion()));
      } else {
        expectedFailures.put(id, trace.failure().step().stage() + "/" + trace.failure().reason());
      }
    }
    assertThat(expectedCredit.size(), equalTo(4));
    assertThat(expectedFailures, equalTo(Map.of("g-r4", "SegmentCoT/trace-too-long")));

    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < rollouts.size(); i++) {
      records.add(TestRollouts.raw(rollouts.get(i), i));
    }
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(settings(rule)));
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              Map<String, String> actual = new HashMap<>();
              for (CreditedRollout c : credited) {
                assertThat(c.getCreditMethod(), equalTo(rule.optionValue()));
                actual.put(
                    c.getRolloutId(),
                    describe(
                        c.getSegmentBoundaries().stream().mapToInt(Integer::intValue).toArray(),
                        c.getBoundaryValues().stream().mapToDouble(Double::doubleValue).toArray(),
                        c.getSegmentRewards().stream().mapToDouble(Double::doubleValue).toArray(),
                        floats(c.getTokenAdvantages()),
                        c.getScoringPolicyVersion()));
              }
              assertThat(actual, equalTo(expectedCredit));
              return null;
            });
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              Map<String, String> actual = new HashMap<>();
              for (DeadLetter letter : letters) {
                Rollout rollout = TestRollouts.CODEC.decode(DeadLetters.valueBytes(letter));
                actual.put(rollout.getRolloutId(), letter.getStage() + "/" + letter.getReason());
              }
              assertThat(actual, equalTo(expectedFailures));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  private static float[] floats(List<Float> values) {
    float[] array = new float[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i);
    }
    return array;
  }

  /** Exact text of a trace's credit (doubles and floats print their exact value). */
  private static String describe(
      int[] boundaries,
      double[] values,
      double[] rewards,
      float[] advantages,
      Long scoringVersion) {
    return Arrays.toString(boundaries)
        + " v="
        + Arrays.toString(values)
        + " r="
        + Arrays.toString(rewards)
        + " a="
        + Arrays.toString(advantages)
        + " version="
        + scoringVersion;
  }
}
