package dev.rredcot.infra.evaluation;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.evaluation.HeldOutEvaluator;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.rollout.RolloutRecords;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples held-out rollouts from a policy at several difficulty levels: each level gets {@code
 * total / levels} rollouts (the remainder to the first levels). The balanced mix takes half of them
 * correct (rounded down), at most one correct and one wrong trace per prompt so the set covers many
 * prompts; the natural mix takes every trace of each prompt's group, as sampled, so the share of
 * correct traces and the groups a bank is built from are those the trainer sees. Prompt seeds lie
 * above {@link HeldOutEvaluator#DEFAULT_FIRST_SEED}, away from training seeds. When the policy
 * cannot produce enough of one kind within the prompt budget, the other kind fills the gap and the
 * shortfall is logged; the caller reports the real mix.
 */
public final class HeldOutRollouts {
  /** Seed offset of the evaluation prompts above the held-out base seed. */
  public static final long SEED_OFFSET = 1L << 40;

  private static final Logger LOG = LoggerFactory.getLogger(HeldOutRollouts.class);
  private static final int PROMPTS_PER_BATCH = 8;

  private HeldOutRollouts() {}

  /**
   * Samples {@code total} rollouts over {@code levels} (the problems of each from {@code atLevel}),
   * {@code groupSize} traces per prompt, trying at most {@code maxPromptsPerLevel} prompts per
   * level.
   */
  public static List<EvaluationTrace> sample(
      Policy policy,
      BuiltInTask evaluationTask,
      IntFunction<TaskFamily> atLevel,
      List<Integer> levels,
      int total,
      int groupSize,
      int maxTokens,
      int maxPromptsPerLevel,
      boolean natural,
      long seed) {
    List<EvaluationTrace> selected = new ArrayList<>();
    for (int l = 0; l < levels.size(); l++) {
      int quota = total / levels.size() + (l < total % levels.size() ? 1 : 0);
      selected.addAll(
          sampleLevel(
              policy,
              evaluationTask,
              atLevel.apply(levels.get(l)),
              levels.get(l),
              quota,
              groupSize,
              maxTokens,
              maxPromptsPerLevel,
              natural,
              seed));
    }
    return selected;
  }

  private static List<EvaluationTrace> sampleLevel(
      Policy policy,
      BuiltInTask evaluationTask,
      TaskFamily task,
      int steps,
      int quota,
      int groupSize,
      int maxTokens,
      int maxPrompts,
      boolean natural,
      long seed) {
    int wantCorrect = quota / 2;
    int wantWrong = quota - wantCorrect;
    List<EvaluationTrace> correct = new ArrayList<>();
    List<EvaluationTrace> wrong = new ArrayList<>();
    List<EvaluationTrace> spare = new ArrayList<>();
    long firstSeed = HeldOutEvaluator.DEFAULT_FIRST_SEED + SEED_OFFSET + steps * 1_000_000L;
    int prompt = 0;
    List<EvaluationTrace> asSampled = new ArrayList<>();
    while (prompt < maxPrompts
        && (natural
            ? asSampled.size() < quota
            : correct.size() < wantCorrect || wrong.size() < wantWrong)) {
      List<Problem> problems = new ArrayList<>();
      List<GenerationRequest> requests = new ArrayList<>();
      for (int p = 0; p < PROMPTS_PER_BATCH && prompt < maxPrompts; p++, prompt++) {
        Problem problem = task.generateHeldOut(firstSeed + prompt);
        problems.add(problem);
        for (int g = 0; g < groupSize; g++) {
          requests.add(GenerationRequest.of(problem.prompt()));
        }
      }
      List<Sample> samples =
          policy.generate(
              requests,
              GenerationOptions.builder()
                  .optTemperature(1.0)
                  .optMaxTokens(maxTokens)
                  .optSeed(seed * 7_919L + firstSeed + prompt)
                  .optAnswerCue(task.answerCue())
                  .build());
      for (int p = 0; p < problems.size(); p++) {
        List<Rollout> group =
            rollouts(
                policy,
                task,
                problems.get(p),
                samples.subList(p * groupSize, (p + 1) * groupSize),
                seed);
        boolean tookCorrect = false;
        boolean tookWrong = false;
        for (Rollout rollout : group) {
          if (natural && asSampled.size() >= quota) {
            break; // no localisation truth for a trace that is not taken
          }
          EvaluationTrace trace =
              new EvaluationTrace(
                  rollout,
                  problems.get(p),
                  steps,
                  group,
                  evaluationTask.localisationTruth(task, problems.get(p), rollout.getText()));
          boolean isCorrect = trace.correct();
          if (natural) {
            asSampled.add(trace);
            continue;
          }
          if (isCorrect && !tookCorrect && correct.size() < wantCorrect) {
            correct.add(trace);
            tookCorrect = true;
          } else if (!isCorrect && !tookWrong && wrong.size() < wantWrong) {
            wrong.add(trace);
            tookWrong = true;
          } else if (spare.size() < quota) {
            spare.add(trace);
          }
        }
      }
    }
    List<EvaluationTrace> level = new ArrayList<>(natural ? asSampled : correct);
    if (!natural) {
      level.addAll(wrong);
    }
    if (!natural && level.size() < quota) {
      LOG.warn(
          "{} steps: only {} correct and {} wrong traces in {} prompts (wanted {} and {});"
              + " filling with {} more of the other kind",
          steps,
          correct.size(),
          wrong.size(),
          prompt,
          wantCorrect,
          wantWrong,
          Math.min(spare.size(), quota - level.size()));
      level.addAll(spare.subList(0, Math.min(spare.size(), quota - level.size())));
    }
    LOG.info(
        "{} steps: {} rollouts ({} correct) from {} prompts",
        steps,
        level.size(),
        level.stream().filter(EvaluationTrace::correct).count(),
        prompt);
    return level;
  }

  /** Verified rollout records of one prompt's samples (empty samples left out). */
  static List<Rollout> rollouts(
      Policy policy, TaskFamily task, Problem problem, List<Sample> samples, long seed) {
    RolloutRecords.Group context =
        new RolloutRecords.Group(
            problem.id() + "@v" + policy.version() + "#" + seed,
            samples.size(),
            policy.version(),
            task.name(),
            problem.id(),
            problem.prompt(),
            problem.answer(),
            problem.solution(),
            Instant.ofEpochMilli(0));
    List<Rollout> group = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      Sample sample = samples.get(i);
      if (sample.tokenIds().length == 0) {
        continue;
      }
      group.add(RolloutRecords.of(context, i, sample, task.verify(problem, sample.text())));
    }
    return group;
  }
}
