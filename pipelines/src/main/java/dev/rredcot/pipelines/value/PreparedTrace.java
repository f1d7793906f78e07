package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import java.util.Arrays;

/**
 * One trace that {@link TraceValidation} checked against the policy, with everything an estimator's
 * policy calls need.
 */
final class PreparedTrace {
  private final TraceCredit trace;
  private final TraceGroup group;
  private final String prompt;
  private final int[] tokens;
  private final int[] boundaries;
  private final String cue;
  private final String answer;
  private final TaskFamily task;
  private final int contextTokens;

  PreparedTrace(
      TraceCredit trace,
      TraceGroup group,
      String prompt,
      int[] tokens,
      int[] boundaries,
      String cue,
      String answer,
      TaskFamily task,
      int contextTokens) {
    this.trace = trace;
    this.group = group;
    this.prompt = prompt;
    this.tokens = tokens;
    this.boundaries = boundaries;
    this.cue = cue;
    this.answer = answer;
    this.task = task;
    this.contextTokens = contextTokens;
  }

  TraceCredit trace() {
    return trace;
  }

  /** The group the trace was checked against (the bank estimator reads its other traces). */
  TraceGroup group() {
    return group;
  }

  String prompt() {
    return prompt;
  }

  /** The rollout's token ids, each checked to be a text token of the policy's tokenizer. */
  int[] tokens() {
    return tokens;
  }

  /** Segment boundaries 0 = b_0 < … < b_K = token count. */
  int[] boundaries() {
    return boundaries;
  }

  /** The answer cue: the configured one, else the task family's. */
  String cue() {
    return cue;
  }

  /** The task's answer suffix of the reference answer y*. */
  String answer() {
    return answer;
  }

  TaskFamily task() {
    return task;
  }

  /** Positions prompt + trace + cue + answer take in the model, for batching by tokens. */
  int contextTokens() {
    return contextTokens;
  }

  /**
   * An answer-value request for {@code traceTokens} (this trace or an edit of it) at {@code at}.
   */
  ValueRequest request(int[] traceTokens, int[] at) {
    return new ValueRequest(prompt, traceTokens, at, cue, answer);
  }

  /** Every boundary but the last: the states whose value an estimator has to estimate. */
  int[] unfinishedBoundaries() {
    return Arrays.copyOf(boundaries, boundaries.length - 1);
  }

  /** {@code values} of the unfinished boundaries followed by the rollout's reward ζ = v_K. */
  double[] withFinalReward(double[] values) {
    double[] all = Arrays.copyOf(values, values.length + 1);
    all[values.length] = trace.rollout().getReward();
    return all;
  }
}
