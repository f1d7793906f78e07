package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;

/**
 * Checks a trace against its group and the policy (group size, reference answer, segments, task
 * family, token ids, context length) before any policy call, with the stage's dead-letter reasons.
 */
final class TraceValidation {
  private TraceValidation() {}

  /**
   * The checked trace, or the first failure among {@code group-size-mismatch}, {@code
   * missing-reference-answer}, {@code missing-segments}, {@code unknown-task-family}, {@code
   * unmappable-tokens} and {@code trace-too-long}, in that order.
   *
   * @param answerCue the configured answer cue; empty for the task family's own
   */
  static PreparedTrace prepare(
      PolicyBackend policy,
      TraceGroup group,
      TraceCredit trace,
      TaskFamilyRegistry families,
      String answerCue)
      throws ValueEstimationException {
    Rollout rollout = trace.rollout();
    if (rollout.getGroupSize() != group.groupSize() || group.traces().size() > group.groupSize()) {
      throw new ValueEstimationException(
          "group-size-mismatch",
          "group "
              + group.groupId()
              + " has size "
              + group.groupSize()
              + " and "
              + group.traces().size()
              + " traces; rollout says groupSize "
              + rollout.getGroupSize());
    }
    if (rollout.getReferenceAnswer() == null || rollout.getReferenceAnswer().isBlank()) {
      throw new ValueEstimationException(
          "missing-reference-answer",
          "rollout " + rollout.getRolloutId() + " has no referenceAnswer");
    }
    int[] boundaries = trace.boundaries();
    if (boundaries == null) {
      throw new ValueEstimationException("missing-segments", "trace was not segmented");
    }
    TaskFamily task = taskFamily(families, rollout.getTaskFamily());
    Tokenizer tokenizer = policy.tokenizer();
    int[] tokens = checkedTokens(tokenizer, rollout);
    String cue = answerCue.isEmpty() ? task.answerCue() : answerCue;
    String answer = task.answerSuffix(rollout.getReferenceAnswer());
    int context;
    try {
      context =
          policy.contextLength(
              rollout.getPromptText(),
              tokens.length + tokenizer.encode(cue).length + tokenizer.encode(answer).length);
    } catch (UnmappableTextException e) {
      throw new ValueEstimationException(
          "unmappable-tokens", "prompt, cue or answer: " + e.getMessage());
    }
    if (context > policy.maxContext()) {
      throw new ValueEstimationException(
          "trace-too-long",
          "prompt + trace + cue + answer need "
              + context
              + " positions, the model has "
              + policy.maxContext());
    }
    return new PreparedTrace(
        trace, group, rollout.getPromptText(), tokens, boundaries, cue, answer, task, context);
  }

  /** The task family called {@code name} in {@code registry}, or {@code unknown-task-family}. */
  static TaskFamily taskFamily(TaskFamilyRegistry registry, String name)
      throws ValueEstimationException {
    try {
      return registry.resolve(name);
    } catch (UnknownTaskFamilyException e) {
      throw new ValueEstimationException("unknown-task-family", e.getMessage());
    }
  }

  /**
   * The rollout's token ids, or {@code unmappable-tokens} for one that is not a text token of
   * {@code tokenizer} (out of its vocabulary, padding or bos).
   */
  static int[] checkedTokens(Tokenizer tokenizer, Rollout rollout) throws ValueEstimationException {
    int[] tokens = new int[rollout.getTokenIds().size()];
    for (int t = 0; t < tokens.length; t++) {
      int id = rollout.getTokenIds().get(t);
      if (id < 0
          || id >= tokenizer.vocabSize()
          || id == tokenizer.padId()
          || id == tokenizer.bosId()) {
        throw new ValueEstimationException(
            "unmappable-tokens",
            "token id "
                + id
                + " at position "
                + t
                + " is not a text token of tokenizer "
                + tokenizer.name()
                + " (vocab "
                + tokenizer.vocabSize()
                + ")");
      }
      tokens[t] = id;
    }
    return tokens;
  }
}
