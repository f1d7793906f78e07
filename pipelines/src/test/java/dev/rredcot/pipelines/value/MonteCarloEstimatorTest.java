package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.UnsupportedCapabilityException;
import dev.rredcot.pipelines.group.TraceGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MonteCarloEstimator}: it needs generation and counts verified continuations. */
class MonteCarloEstimatorTest {
  private final MonteCarloEstimator estimator = new MonteCarloEstimator(false);

  @Test
  void needsGenerationAndRefusesABackendWithoutIt() throws Exception {
    assertEquals(List.of(BackendCapability.GENERATION), estimator.requiredCapabilities());
    assertFalse(estimator.batchesTraces());
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.CORRECT);
    try (FakeBackend bare = new FakeBackend()) {
      UnsupportedCapabilityException e =
          assertThrows(
              UnsupportedCapabilityException.class,
              () -> ValueScorer.checkBackend(ValueEstimator.MC, bare));
      assertThat(
          e.getMessage(), containsString("--value-estimator=mc needs capability generation"));
      List<PreparedTrace> prepared = FakeBackend.prepared(bare, group);
      assertThrows(
          UnsupportedCapabilityException.class, () -> estimator.values(bare, settings(), prepared));
    }
  }

  @Test
  void valueIsTheFractionOfVerifiedContinuationsFromEachUnfinishedBoundary() throws Exception {
    TraceGroup group = FakeBackend.group(TinyPolicies.CORRECT, TinyPolicies.WRONG);
    List<GenerationRequest> asked = new ArrayList<>();
    List<GenerationOptions> options = new ArrayList<>();
    try (FakeBackend generating =
        new FakeBackend(BackendCapability.GENERATION) {
          @Override
          public List<Sample> generate(
              List<GenerationRequest> requests, GenerationOptions generation) {
            asked.addAll(requests);
            options.add(generation);
            List<Sample> samples = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
              // One continuation in four answers 37, the others 38.
              String text = i % 4 == 0 ? "A: 37\n" : "A: 38\n";
              samples.add(
                  new Sample(
                      TinyPolicies.TOKENIZER.encode(text),
                      text,
                      new float[text.length()],
                      new float[text.length()],
                      Sample.StopReason.ANSWER_LINE));
            }
            return samples;
          }
        }) {
      double[] values =
          estimator.values(generating, settings(), FakeBackend.prepared(generating, group)).get(0);
      assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.0}, values, 0.0);
      // Four samples from each of the boundaries 0, 9 and 17 of the trace.
      assertEquals(12, asked.size());
      assertEquals(0, asked.get(0).forcedPrefixTokens().length);
      assertEquals(9, asked.get(4).forcedPrefixTokens().length);
      assertEquals(17, asked.get(11).forcedPrefixTokens().length);
      assertEquals("g-r0".hashCode(), options.get(0).seed());
      assertEquals("A: ", options.get(0).answerCue());
    }
  }

  private static ModelSettings settings() {
    return TinyPolicies.settings(Path.of("unused"));
  }
}
