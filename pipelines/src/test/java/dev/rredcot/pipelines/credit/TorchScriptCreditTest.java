package dev.rredcot.pipelines.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.backend.torchscript.TorchScriptCausalLm;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.TinyPolicies;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The credit steps on the TorchScript fixture model (model-worker's {@code tiny-causal-lm}, opened
 * as a {@code --model} directory would be): every trace is credited, its values are the backend's
 * answer probabilities, and its segment rewards sum to the reward minus the initial value.
 */
class TorchScriptCreditTest {
  /** The fixture lives in model-worker's test resources; tests run in the module's directory. */
  private static final Path FIXTURE =
      RepositoryFiles.path("model-worker/model/src/test/resources/fixtures/tiny-causal-lm");

  @TempDir static Path store;
  private static PolicyBackend backend;

  @BeforeAll
  static void open() throws IOException {
    assertTrue(Files.isDirectory(FIXTURE), "fixture not found at " + FIXTURE.toAbsolutePath());
    BackendKinds.register(TorchScriptCausalLm.KIND);
    backend = BackendKinds.open(FIXTURE);
    assertInstanceOf(TorchScriptCausalLm.class, backend);
  }

  @AfterAll
  static void close() {
    if (backend != null) {
      backend.close();
    }
  }

  /** Two correct and two wrong traces, token ids from the fixture's tokenizer. */
  private static TraceGroup group() {
    String[] texts = {
      TinyPolicies.CORRECT, TinyPolicies.WRONG, TinyPolicies.CORRECT, "12+30=43\n43-5=38\nA: 38\n"
    };
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      List<Integer> ids = new ArrayList<>();
      for (int id : backend.tokenizer().encode(texts[i])) {
        ids.add(id);
      }
      rollouts.add(TinyPolicies.rollout("g", i, texts.length, texts[i]).setTokenIds(ids).build());
    }
    return TraceGroup.of("g", texts.length, true, rollouts);
  }

  private static GroupCreditor creditor(ValueEstimator estimator) {
    return CreditSettings.builder()
        .optSegmentation(
            SegmentationSettings.builder()
                .setStrategy(SegmentationStrategy.HYBRID)
                .optTargetSegments(3)
                .build())
        .optValueEstimator(estimator)
        .optModel(
            ModelSettings.builder().setCheckpointDir(store.toString()).optMcSamples(4).build())
        .optAdvantages(
            new TokenAdvantages.Settings(
                AdvantageRule.RREDCOT_REWEIGHT, GroupAdvantages.DEFAULT_EPSILON, 2.0))
        .build()
        .creditor();
  }

  @Test
  void creditsEveryTraceReturnEquivalentlyUnderEachEstimatorItServes() {
    for (ValueEstimator estimator :
        List.of(ValueEstimator.ANSWER, ValueEstimator.BANK, ValueEstimator.MC)) {
      GroupCreditor creditor = creditor(estimator);
      creditor.checkBackend(backend);
      List<CreditedTrace> credited = creditor.credit(backend, group());
      assertEquals(4, credited.size());
      for (CreditedTrace trace : credited) {
        String what = estimator + " " + trace.trace().rollout().getText();
        assertNull(trace.failure(), what);
        double[] values = trace.values();
        double reward = trace.trace().rollout().getReward();
        assertEquals(reward, values[values.length - 1], what);
        double sum = Arrays.stream(trace.segmentRewards()).sum();
        assertEquals(reward - values[0], sum, 1e-9, what);
        for (double v : values) {
          assertTrue(v >= 0 && v <= 1, what + " " + Arrays.toString(values));
        }
        assertEquals(trace.trace().rollout().getTokenIds().size(), trace.advantages().length);
      }
    }
  }

  @Test
  void answerValuesAreTheBackendsAnswerProbabilities() {
    for (CreditedTrace trace : creditor(ValueEstimator.ANSWER).credit(backend, group())) {
      Rollout rollout = trace.trace().rollout();
      int[] tokens = rollout.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
      int[] boundaries = trace.boundaries();
      // Every boundary but the last, whose value the reward replaces.
      int[] states = Arrays.copyOf(boundaries, boundaries.length - 1);
      double[] expected =
          backend
              .answerValues(
                  List.of(new ValueRequest(rollout.getPromptText(), tokens, states, "A: ", "37\n")),
                  false)
              .get(0);
      for (int k = 0; k < states.length; k++) {
        assertEquals(expected[k], trace.values()[k], 1e-6 + 1e-4 * expected[k], "state " + k);
      }
      // The prompt-only value is the same for every trace of the group and not trivially 0 or 1.
      assertTrue(expected[0] > 0 && expected[0] < 1, Arrays.toString(expected));
    }
  }
}
