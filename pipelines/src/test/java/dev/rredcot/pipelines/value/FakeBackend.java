package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A policy backend without a model for the estimator tests: it declares the given capabilities and
 * gives every token probability 1/2; tests override the calls they need to control.
 */
class FakeBackend implements PolicyBackend {
  static final float LOG_HALF = (float) Math.log(0.5);

  private final Set<BackendCapability> capabilities;

  FakeBackend(BackendCapability... capabilities) {
    this.capabilities = EnumSet.noneOf(BackendCapability.class);
    this.capabilities.addAll(Arrays.asList(capabilities));
  }

  /** The traces of {@code group} as {@link TraceValidation} checks them for {@code backend}. */
  static List<PreparedTrace> prepared(PolicyBackend backend, TraceGroup group)
      throws ValueEstimationException {
    List<PreparedTrace> prepared = new ArrayList<>();
    for (TraceCredit trace : group.traces()) {
      prepared.add(
          TraceValidation.prepare(backend, group, trace, TaskFamilyRegistry.parse(""), ""));
    }
    return prepared;
  }

  /**
   * A group of line-segmented traces of {@code texts} (reward 1 when they answer 37) whose rollouts
   * carry {@code referenceSolution}.
   */
  static TraceGroup group(String referenceSolution, String... texts) {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      rollouts.add(
          TinyPolicies.rollout("g", i, texts.length, texts[i])
              .setReward(texts[i].endsWith("A: 37\n") ? 1.0 : 0.0)
              .setReferenceSolution(referenceSolution)
              .build());
    }
    return TinyPolicies.group("g", texts.length, rollouts);
  }

  @Override
  public String description() {
    return "fake";
  }

  @Override
  public long version() {
    return 7;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return capabilities;
  }

  @Override
  public Tokenizer tokenizer() {
    return TinyPolicies.TOKENIZER;
  }

  @Override
  public int maxContext() {
    return TinyPolicies.MAX_CONTEXT;
  }

  @Override
  public List<float[]> logProbs(List<ScoreRequest> batch) {
    List<float[]> out = new ArrayList<>();
    for (ScoreRequest request : batch) {
      float[] lp = new float[request.traceTokens().length];
      Arrays.fill(lp, LOG_HALF);
      out.add(lp);
    }
    return out;
  }

  @Override
  public void close() {}
}
