package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code mc} values: M continuations sampled from every unfinished boundary ({@link
 * PolicyBackend#generate}, identical prefixes sharing one prefill) and verified with the task; v =
 * fraction correct, and the rollout's reward ζ at the finished trace.
 *
 * <p>Gated ({@code reach-mc}): a boundary after which the family's exact oracle says the problem
 * can no longer be solved gets 0 without sampling (no continuation of it can be correct), the
 * others are sampled as above.
 */
final class MonteCarloEstimator extends SingleTraceEstimator {
  private final boolean gated;

  /** Plain Monte Carlo, or gated by the family's oracle when {@code gated}. */
  MonteCarloEstimator(boolean gated) {
    this.gated = gated;
  }

  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of(BackendCapability.GENERATION);
  }

  @Override
  double[] values(PolicyBackend backend, ModelSettings settings, PreparedTrace trace) {
    int samples = settings.mcSamples();
    int[] tokens = trace.tokens();
    int[] boundaries = trace.boundaries();
    int last = boundaries.length - 1;
    String reference = trace.trace().rollout().getReferenceAnswer();
    boolean[] lost =
        gated
            ? ReachabilityEstimator.lost(backend, trace, reference)
            : new boolean[boundaries.length];
    List<GenerationRequest> requests = new ArrayList<>();
    for (int k = 0; k < last; k++) {
      if (lost[k]) {
        continue;
      }
      int[] prefix = Arrays.copyOf(tokens, boundaries[k]);
      for (int m = 0; m < samples; m++) {
        requests.add(new GenerationRequest(trace.prompt(), prefix));
      }
    }
    GenerationOptions options =
        GenerationOptions.builder()
            .optTemperature(settings.mcTemperature())
            .optMaxTokens(settings.mcMaxTokens())
            .optSeed(trace.trace().rollout().getRolloutId().hashCode())
            .optUseKvCache(true)
            .optAnswerCue(trace.cue())
            .optLineEnd(trace.task().lineEnd())
            .build();
    List<Sample> generated = requests.isEmpty() ? List.of() : backend.generate(requests, options);
    double[] values = new double[last];
    int next = 0;
    for (int k = 0; k < last; k++) {
      if (lost[k]) {
        continue;
      }
      String prefixText = backend.tokenizer().decode(Arrays.copyOf(tokens, boundaries[k]));
      int correct = 0;
      for (int m = 0; m < samples; m++) {
        Sample sample = generated.get(next++);
        if (trace.task().verifyAnswer(reference, prefixText + sample.text()).isCorrect()) {
          correct++;
        }
      }
      values[k] = correct / (double) samples;
    }
    return trace.withFinalReward(values);
  }
}
