package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.endpoint.ModelServerUnavailableException;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.schemas.Rollout;
import java.util.List;

/** Per-token predictive entropies of a rollout's trace from the policy, for segmentation. */
final class PolicyEntropies {
  private PolicyEntropies() {}

  /**
   * The entropies of {@link PolicyBackend#score}, or a failure: {@code unmappable-tokens}, {@code
   * trace-too-long}, {@code model-server-unavailable} or {@code non-finite-value}.
   */
  static float[] of(PolicyBackend policy, Rollout rollout) throws ValueEstimationException {
    int[] tokens = TraceValidation.checkedTokens(policy.tokenizer(), rollout);
    String prompt = rollout.getPromptText();
    try {
      int context = policy.contextLength(prompt, tokens.length);
      if (context > policy.maxContext()) {
        throw new ValueEstimationException(
            "trace-too-long",
            "prompt + trace need " + context + " positions, the model has " + policy.maxContext());
      }
    } catch (UnmappableTextException e) {
      throw new ValueEstimationException("unmappable-tokens", "prompt: " + e.getMessage());
    }
    TraceScore score;
    try {
      score = policy.score(List.of(new ScoreRequest(prompt, tokens))).get(0);
    } catch (ModelServerUnavailableException e) {
      throw new ValueEstimationException(ModelServerUnavailableException.REASON, e.getMessage());
    }
    for (float entropy : score.entropies()) {
      if (!Float.isFinite(entropy)) {
        throw new ValueEstimationException(
            "non-finite-value", "non-finite entropy from the policy");
      }
    }
    return score.entropies();
  }
}
