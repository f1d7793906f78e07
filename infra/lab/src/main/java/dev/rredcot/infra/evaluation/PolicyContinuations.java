package dev.rredcot.infra.evaluation;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.policy.Policy;
import java.util.ArrayList;
import java.util.List;

/**
 * Policy continuations with the same sampling settings as the pipeline's Monte Carlo estimator
 * (temperature, max tokens, KV cache, answer cue), so the ground truth measures the same quantity;
 * all prefixes of one call go to the policy as one batch.
 */
public final class PolicyContinuations implements ContinuationSampler {
  private final Policy policy;
  private final double temperature;
  private final int maxTokens;
  private final String answerCue;

  /** Continuations from {@code policy} at {@code temperature}, at most {@code maxTokens} each. */
  public PolicyContinuations(Policy policy, double temperature, int maxTokens, String answerCue) {
    this.policy = policy;
    this.temperature = temperature;
    this.maxTokens = maxTokens;
    this.answerCue = answerCue;
  }

  @Override
  public List<List<String>> sample(
      String prompt, List<int[]> prefixTokens, List<String> prefixTexts, int count, long seed) {
    List<GenerationRequest> requests = new ArrayList<>(count * prefixTokens.size());
    for (int[] prefix : prefixTokens) {
      for (int m = 0; m < count; m++) {
        requests.add(new GenerationRequest(prompt, prefix));
      }
    }
    List<Sample> samples =
        policy.generate(
            requests,
            GenerationOptions.builder()
                .optTemperature(temperature)
                .optMaxTokens(maxTokens)
                .optSeed(seed)
                .optUseKvCache(true)
                .optAnswerCue(answerCue)
                .build());
    List<List<String>> texts = new ArrayList<>(prefixTokens.size());
    for (int p = 0; p < prefixTokens.size(); p++) {
      List<String> continuations = new ArrayList<>(count);
      for (int m = 0; m < count; m++) {
        continuations.add(samples.get(p * count + m).text());
      }
      texts.add(continuations);
    }
    return texts;
  }
}
