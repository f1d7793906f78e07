package dev.rredcot.pipelines.credit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.TinyPolicies;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.pipelines.value.ValueScorer;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GroupCreditor#credit(dev.rredcot.model.backend.PolicyBackend, List,
 * ValueScorer.BatchObserver)} over several groups in shared policy calls gives every trace the
 * credit that crediting its group alone gives (values, segment rewards and token advantages within
 * 1e-6, the same failures), in fewer calls, on a tiny random policy.
 */
class BatchedCreditTest {
  private static final double TOLERANCE = 1e-6;
  private static final String LONGER = "12+30=42\n42-5=37\n37+0=37\nA: 37\n";

  @TempDir static Path store;
  private static Checkpoint checkpoint;

  @BeforeAll
  static void writePolicy() throws IOException {
    checkpoint = TinyPolicies.save(store, 1, 11);
  }

  @Test
  void bankCreditOfSeveralGroupsInSharedCallsEqualsCreditGroupByGroup() throws IOException {
    assertBatchedEqualsGroupByGroup(ValueEstimator.BANK);
  }

  @Test
  void answerCreditOfSeveralGroupsInSharedCallsEqualsCreditGroupByGroup() throws IOException {
    assertBatchedEqualsGroupByGroup(ValueEstimator.ANSWER);
  }

  @Test
  void aGroupWhoseBankIsEmptyFailsAloneInASharedCall() throws IOException {
    // The third group has no correct trace and no reference solution: its bank is empty, which
    // fails the shared call; the retry group by group values the other groups as if alone.
    List<TraceGroup> groups = groups();
    List<Rollout> hopeless = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      hopeless.add(
          TinyPolicies.rollout("h", i, 3, TinyPolicies.WRONG).setReferenceSolution(null).build());
    }
    groups.add(2, TraceGroup.of("h", 3, true, hopeless));
    GroupCreditor creditor = creditor(ValueEstimator.BANK);
    try (Policy policy = Policy.load(checkpoint)) {
      List<List<CreditedTrace>> batched =
          creditor.credit(policy, groups, ValueScorer.BatchObserver.NONE);
      for (CreditedTrace trace : batched.get(2)) {
        assertNotNull(trace.failure());
        assertThat(trace.failure().reason(), equalTo("empty-continuation-bank"));
      }
      for (int g = 0; g < groups.size(); g++) {
        assertSameCredit(creditor.credit(policy, groups.get(g)), batched.get(g), "group " + g);
      }
    }
  }

  private static void assertBatchedEqualsGroupByGroup(ValueEstimator estimator) throws IOException {
    List<TraceGroup> groups = groups();
    GroupCreditor creditor = creditor(estimator);
    try (Policy policy = Policy.load(checkpoint)) {
      AtomicInteger aloneCalls = new AtomicInteger();
      List<List<CreditedTrace>> alone = new ArrayList<>();
      for (TraceGroup group : groups) {
        alone.add(
            creditor.credit(policy, group, (n, tokens, ms, forward) -> aloneCalls.addAndGet(1)));
      }
      AtomicInteger batchedCalls = new AtomicInteger();
      List<List<CreditedTrace>> batched =
          creditor.credit(policy, groups, (n, tokens, ms, forward) -> batchedCalls.addAndGet(1));

      assertThat(batched.size(), equalTo(groups.size()));
      for (int g = 0; g < groups.size(); g++) {
        assertSameCredit(alone.get(g), batched.get(g), estimator.optionValue() + " group " + g);
      }
      // Every trace but the one too long for the model is credited.
      assertThat(
          batched.stream().flatMap(List::stream).filter(CreditedTrace::succeeded).count(),
          equalTo(8L));
      assertThat(aloneCalls.get(), equalTo(groups.size()));
      assertThat(batchedCalls.get(), lessThan(aloneCalls.get()));
    }
  }

  private static void assertSameCredit(
      List<CreditedTrace> expected, List<CreditedTrace> actual, String what) {
    assertThat(what + " traces", actual.size(), equalTo(expected.size()));
    for (int i = 0; i < expected.size(); i++) {
      CreditedTrace want = expected.get(i);
      CreditedTrace got = actual.get(i);
      String trace = what + " " + want.trace().rollout().getRolloutId();
      assertEquals(
          want.trace().rollout().getRolloutId(), got.trace().rollout().getRolloutId(), trace);
      if (!want.succeeded()) {
        assertNotNull(got.failure(), trace);
        assertEquals(want.failure().reason(), got.failure().reason(), trace);
        continue;
      }
      assertArrayEquals(want.boundaries(), got.boundaries(), trace + " boundaries");
      assertArrayEquals(want.values(), got.values(), TOLERANCE, trace + " values");
      assertArrayEquals(
          want.segmentRewards(), got.segmentRewards(), TOLERANCE, trace + " segment rewards");
      assertArrayEquals(
          want.advantages(), got.advantages(), (float) TOLERANCE, trace + " advantages");
    }
  }

  /**
   * Three groups with different prompts (so rows pad differently in a shared call), trace lengths
   * and reward mixes; the first has a trace too long for the model, refused when segmented.
   */
  private static List<TraceGroup> groups() {
    List<TraceGroup> groups = new ArrayList<>();
    groups.add(
        group(
            "a",
            TinyPolicies.PROMPT,
            TinyPolicies.CORRECT,
            TinyPolicies.WRONG,
            "1+1=2\n".repeat(20) + "A: 38\n"));
    groups.add(
        group(
            "b",
            "Q: 12+30-5 = 12+30 - 5\n",
            LONGER,
            TinyPolicies.WRONG,
            TinyPolicies.CORRECT,
            TinyPolicies.WRONG));
    groups.add(group("c", "Q: 42-5\n", TinyPolicies.WRONG, TinyPolicies.WRONG));
    return groups;
  }

  private static TraceGroup group(String id, String prompt, String... texts) {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      rollouts.add(
          TinyPolicies.rollout(id, i, texts.length, texts[i])
              .setPromptText(prompt)
              .setReward(texts[i].endsWith("A: 37\n") ? 1.0 : 0.0)
              .build());
    }
    return TraceGroup.of(id, texts.length, true, rollouts);
  }

  private static GroupCreditor creditor(ValueEstimator estimator) {
    return GroupCreditor.builder()
        .optSegmentation(
            SegmentationSettings.builder()
                .setStrategy(SegmentationStrategy.HYBRID)
                .optTargetSegments(3)
                .build())
        .optValueEstimator(estimator)
        .optModel(TinyPolicies.settings(store))
        .optAdvantages(
            new TokenAdvantages.Settings(
                AdvantageRule.RREDCOT_RUDDER, GroupAdvantages.DEFAULT_EPSILON, 2.0))
        .build();
  }
}
