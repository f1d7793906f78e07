package dev.rredcot.pipelines.value;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The countdown value sources on a model-free backend (every token has probability 1/2): the bank's
 * splice check and leave-own-out, the exact oracle's {@code reach} values and Monte Carlo gated by
 * it, the bank's greedy fill. Problem {@code 1 2 3 4 -> 10}; {@code 4-3=1} dooms it (from 1 1 2 at
 * most 4 can be made).
 */
class CountdownValuesTest {
  private static final CharTokenizer TOKENIZER = CharTokenizer.countdown();
  private static final String PROMPT = "Q: 1 2 3 4 -> 10\n";
  private static final String REFERENCE = "4+3=7\n7+2=9\n9+1=10\nA: 10\n";
  private static final String OTHER_SOLUTION = "4*2=8\n8+3=11\n11-1=10\nA: 10\n";
  private static final String DOOMED = "4-3=1\n2+1=3\n3+1=4\nA: ?\n";
  private static final double HALF = 0.5;

  /** The fake backend with the countdown tokenizer. */
  private static class CountdownBackend extends FakeBackend {
    CountdownBackend(BackendCapability... capabilities) {
      super(capabilities);
    }

    @Override
    public Tokenizer tokenizer() {
      return TOKENIZER;
    }
  }

  /**
   * The countdown backend that generates, continuing each prefix text as {@code continuation} says.
   */
  private static class GeneratingBackend extends CountdownBackend {
    private final Function<String, String> continuation;
    final List<String> asked = new ArrayList<>();
    final List<GenerationOptions> options = new ArrayList<>();

    GeneratingBackend(Function<String, String> continuation) {
      super(BackendCapability.GENERATION);
      this.continuation = continuation;
    }

    @Override
    public List<Sample> generate(List<GenerationRequest> requests, GenerationOptions generation) {
      options.add(generation);
      List<Sample> samples = new ArrayList<>();
      for (GenerationRequest request : requests) {
        String prefix = TOKENIZER.decode(request.forcedPrefixTokens());
        asked.add(prefix);
        String text = continuation.apply(prefix);
        samples.add(
            new Sample(
                TOKENIZER.encode(text),
                text,
                new float[text.length()],
                new float[text.length()],
                Sample.StopReason.ANSWER_LINE));
      }
      return samples;
    }
  }

  @Test
  void theSpliceCheckDropsRemaindersThatDoNotContinueThePrefix() throws Exception {
    TraceGroup group = group(OTHER_SOLUTION, DOOMED);
    try (CountdownBackend backend = new CountdownBackend()) {
      double[] aligned = bank(backend, group, false, false).get(1);
      double[] spliced = bank(backend, group, true, false).get(1);
      // At the start both bank texts (25 and 27 characters) are valid solutions.
      double start = Math.pow(HALF, 25) + Math.pow(HALF, 27);
      assertClose(start, aligned[0]);
      assertClose(start, spliced[0]);
      // After 4-3=1 the rests 7+2=9... and 8+3=11... use numbers that are gone.
      assertClose(Math.pow(HALF, 19) + Math.pow(HALF, 21), aligned[1]);
      assertEquals(0.0, spliced[1], 0.0);
      assertEquals(0.0, spliced[2], 0.0);
      assertEquals(0.0, spliced[4], 0.0); // ζ
    }
  }

  @Test
  void leaveOwnOutRemovesACorrectTracesOwnTextFromItsBank() throws Exception {
    TraceGroup group = group(OTHER_SOLUTION, DOOMED);
    try (CountdownBackend backend = new CountdownBackend()) {
      double[] own = bank(backend, group, true, false).get(0);
      double[] leftOut = bank(backend, group, true, true).get(0);
      // After 4*2=8 only the trace's own rest continues it (the reference's needs a 7).
      assertClose(Math.pow(HALF, 21), own[1]);
      assertEquals(0.0, leftOut[1], 0.0);
      // At the start the reference alone is left.
      assertClose(Math.pow(HALF, 25), leftOut[0]);
      assertEquals(1.0, leftOut[4], 0.0);
    }
  }

  @Test
  void theReferenceStaysInTheBankWhenATraceWroteTheSameText() throws Exception {
    TraceGroup group = group(REFERENCE, DOOMED);
    try (CountdownBackend backend = new CountdownBackend()) {
      double[] leftOut = bank(backend, group, true, true).get(0);
      assertClose(Math.pow(HALF, 25), leftOut[0]);
    }
  }

  @Test
  void reachIsOneWhileTheTargetCanBeMadeAndZeroAfterTheDoomingMove() throws Exception {
    TraceGroup group = group(OTHER_SOLUTION, DOOMED);
    try (CountdownBackend backend = new CountdownBackend()) {
      List<double[]> values =
          new ReachabilityEstimator()
              .values(backend, settings(false, false), FakeBackend.prepared(backend, group));
      assertArrayEquals(new double[] {1, 1, 1, 1, 1}, values.get(0), 0.0);
      assertArrayEquals(new double[] {1, 0, 0, 0, 0}, values.get(1), 0.0);
    }
  }

  @Test
  void gatedMonteCarloSamplesOnlyWhereTheTraceIsNotLost() throws Exception {
    TraceGroup group = group(OTHER_SOLUTION, DOOMED);
    // Every continuation finishes the reference's way from the start; none elsewhere.
    try (GeneratingBackend backend =
        new GeneratingBackend(prefix -> prefix.isEmpty() ? REFERENCE : "A: ?\n")) {
      List<PreparedTrace> prepared = FakeBackend.prepared(backend, group);
      double[] doomed =
          new MonteCarloEstimator(true)
              .values(backend, settings(false, false), List.of(prepared.get(1)))
              .get(0);
      assertArrayEquals(new double[] {1, 0, 0, 0, 0}, doomed, 0.0);
      // Only boundary 0 of the doomed trace was sampled (4 samples); 1..3 are lost.
      assertEquals(4, backend.asked.size());
    }
  }

  @Test
  void theGreedyFillGivesAnUncoveredValidMoveThePoliciesOwnWayToFinish() throws Exception {
    // 4+2=6 is valid and not doomed (6+3+1), but no bank text continues it; 6*1=6 dooms it.
    String detour = "4+2=6\n6*1=6\n6+3=9\nA: 9\n";
    String finish = "6+3=9\n9+1=10\nA: 10\n";
    TraceGroup group = group(REFERENCE, detour);
    try (GeneratingBackend backend =
        new GeneratingBackend(prefix -> prefix.equals("4+2=6\n") ? finish : "A: 9\n")) {
      double[] plain = bank(backend, group, true, false).get(1);
      ModelSettings filled =
          ModelSettings.builder().setCheckpointDir("unused").optBankGreedyFill(true).build();
      double[] greedy =
          new BankEstimator().values(backend, filled, FakeBackend.prepared(backend, group)).get(1);
      assertEquals(0.0, plain[1], 0.0);
      assertClose(Math.pow(HALF, finish.length()), greedy[1]);
      // The start is covered by the reference; after 6*1=6 the greedy way fails and stays 0.
      assertClose(plain[0], greedy[0]);
      assertArrayEquals(
          new double[] {0, 0, 0}, new double[] {greedy[2], greedy[3], greedy[4]}, 0.0);
      // Only the detour's three uncovered line ends were continued; the reference covers its own.
      assertEquals(List.of("4+2=6\n", "4+2=6\n6*1=6\n", "4+2=6\n6*1=6\n6+3=9\n"), backend.asked);
      assertEquals(0.0, backend.options.get(0).temperature(), 0.0);
    }
  }

  @Test
  void theGreedyFillNeedsABackendThatGenerates() throws Exception {
    TraceGroup group = group(REFERENCE, "4+2=6\n6*1=6\n6+3=9\nA: 9\n");
    try (CountdownBackend backend = new CountdownBackend()) {
      ModelSettings filled =
          ModelSettings.builder().setCheckpointDir("unused").optBankGreedyFill(true).build();
      List<PreparedTrace> prepared = FakeBackend.prepared(backend, group);
      assertThrows(
          dev.rredcot.model.backend.UnsupportedCapabilityException.class,
          () -> new BankEstimator().values(backend, filled, prepared));
      // The stages check it when they start, before any group.
      ValueScorer scorer = new ValueScorer(ValueEstimator.BANK, filled);
      assertThrows(
          dev.rredcot.model.backend.UnsupportedCapabilityException.class,
          () -> scorer.checkBackend(backend));
      new ValueScorer(ValueEstimator.BANK, settings(true, false)).checkBackend(backend);
    }
  }

  @Test
  void reachNeedsAFamilyWithAnOracle() throws Exception {
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend bare = new FakeBackend()) {
      List<PreparedTrace> prepared = FakeBackend.prepared(bare, group);
      assertThrows(
          ReachabilityEstimator.NoOracleException.class,
          () -> new ReachabilityEstimator().values(bare, settings(false, false), prepared));
    }
  }

  /** Equal within the float precision the fake's log-probabilities carry. */
  private static void assertClose(double expected, double actual) {
    assertEquals(expected, actual, expected * 1e-6);
  }

  private static List<double[]> bank(
      CountdownBackend backend, TraceGroup group, boolean splice, boolean leaveOwnOut)
      throws ValueEstimationException {
    return new BankEstimator()
        .values(backend, settings(splice, leaveOwnOut), FakeBackend.prepared(backend, group));
  }

  private static ModelSettings settings(boolean splice, boolean leaveOwnOut) {
    return ModelSettings.builder()
        .setCheckpointDir("unused")
        .optMcSamples(4)
        .optBankSpliceCheck(splice)
        .optBankLeaveOwnOut(leaveOwnOut)
        .optBankGreedyFill(false)
        .build();
  }

  /** Line-segmented countdown traces of {@code texts} with the reference solution. */
  private static TraceGroup group(String... texts) {
    List<TraceCredit> traces = new ArrayList<>();
    List<Double> rewards = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      List<Integer> tokens = new ArrayList<>();
      List<Float> logProbs = new ArrayList<>();
      for (int id : TOKENIZER.encode(texts[i])) {
        tokens.add(id);
        logProbs.add(-1f);
      }
      double reward = texts[i].endsWith("A: 10\n") ? 1.0 : 0.0;
      Rollout rollout =
          Rollout.newBuilder()
              .setRolloutId("c-r" + i)
              .setPromptId("c-p")
              .setGroupId("c")
              .setSampleIndex(i)
              .setGroupSize(texts.length)
              .setPolicyVersion(1L)
              .setPromptText(PROMPT)
              .setTokenIds(tokens)
              .setText(texts[i])
              .setLogProbs(logProbs)
              .setTaskFamily("countdown")
              .setReferenceAnswer("10:1 2 3 4")
              .setReferenceSolution(REFERENCE)
              .setReward(reward)
              .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
              .build();
      traces.add(
          TraceCredit.of(rollout).withSegments("keyword", TinyPolicies.lineBoundaries(rollout), 0));
      rewards.add(reward);
    }
    return new TraceGroup("c", texts.length, true, GroupStatistics.of(rewards), traces);
  }
}
