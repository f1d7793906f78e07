package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bank} values: continuation-bank values ({@link PolicyBackend#bankValues}) at every
 * unfinished boundary and the rollout's reward ζ at the finished trace. The bank is the rollouts'
 * reference solution plus the texts of the group's correct traces, each split into the task's step
 * lines and kept when what follows the steps is exactly the answer line; a trace with an empty bank
 * fails with {@link ValueScorer.EmptyBankException}.
 *
 * <p>Options ({@link ModelSettings}): with the splice check, an aligned remainder after a
 * line-aligned prefix counts only when the task verifies prefix + remainder as correct (a boundary
 * inside a line is left as aligned: a spliced half line is never valid); with leave-own-out, a
 * correct trace's own text leaves its bank; the oracle-solutions diagnostic adds the family's exact
 * ways to finish from each line-aligned prefix; with the greedy fill, a line-aligned prefix left
 * without a remainder gets the policy's greedy continuation from it when that verifies.
 */
final class BankEstimator implements BoundaryValueEstimator {
  private static final double CORRECT_REWARD = 1.0 - 1e-9;

  @Override
  public List<BackendCapability> requiredCapabilities() {
    return List.of();
  }

  @Override
  public boolean batchesTraces() {
    return true;
  }

  /**
   * Bank values of a batch of traces, of one group or of several, in one {@link
   * PolicyBackend#bankValues} call, so the traces and bank texts of every group in it share one
   * context pass and each distinct sequence is scored once; each trace's bank comes from its own
   * group.
   */
  @Override
  public List<double[]> values(
      PolicyBackend backend, ModelSettings settings, List<PreparedTrace> traces) {
    List<BankRequest> requests = new ArrayList<>();
    for (PreparedTrace trace : traces) {
      requests.add(request(backend, settings, trace, Map.of()));
    }
    if (settings.bankGreedyFill()) {
      List<Map<String, String>> fills = greedyFills(backend, settings, traces, requests);
      for (int i = 0; i < traces.size(); i++) {
        if (!fills.get(i).isEmpty()) {
          requests.set(i, request(backend, settings, traces.get(i), fills.get(i)));
        }
      }
    }
    List<double[]> values = backend.bankValues(requests, settings.reuseKvCache());
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      out.add(traces.get(i).withFinalReward(values.get(i)));
    }
    return out;
  }

  /**
   * The bank request of one trace; {@code fills} maps uncovered prefix texts to their remainder.
   */
  private static BankRequest request(
      PolicyBackend backend,
      ModelSettings settings,
      PreparedTrace trace,
      Map<String, String> fills) {
    List<String> bank =
        bank(
            trace.group(),
            settings.bankLeaveOwnOut() ? trace.trace().rollout() : null,
            trace.task().lineEnd());
    return new BankRequest(
        trace.prompt(),
        trace.tokens(),
        trace.unfinishedBoundaries(),
        bankSteps(backend, trace, bank),
        trace.cue(),
        trace.answer(),
        settings.bankAggregation(),
        withFills(remainderRule(settings, trace), fills),
        trace.task().lineEnd());
  }

  /**
   * The greedy fill ({@link ModelSettings#bankGreedyFill}): for each trace, the line-aligned
   * unfinished prefixes its bank leaves without a remainder, mapped to the policy's greedy
   * continuation from there where the task verifies prefix + continuation as correct. One
   * generation call per answer cue and line end covers the batch; a prefix shared by several traces
   * of a prompt is continued once.
   */
  private static List<Map<String, String>> greedyFills(
      PolicyBackend backend,
      ModelSettings settings,
      List<PreparedTrace> traces,
      List<BankRequest> requests) {
    backend.require(BackendCapability.GENERATION, "the bank's greedy fill");
    Map<List<String>, Map<List<Object>, GenerationRequest>> byStyle = new LinkedHashMap<>();
    List<Map<String, List<Object>>> uncovered = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      PreparedTrace trace = traces.get(i);
      String lineEnd = trace.task().lineEnd();
      Map<String, List<Object>> keys = new LinkedHashMap<>();
      for (int boundary : trace.unfinishedBoundaries()) {
        int[] prefix = Arrays.copyOf(trace.tokens(), boundary);
        String prefixText = backend.tokenizer().decode(prefix);
        boolean lineAligned = prefixText.isEmpty() || prefixText.endsWith(lineEnd);
        if (!lineAligned || !requests.get(i).remaindersAfter(prefixText).isEmpty()) {
          continue;
        }
        List<Object> key = List.of(trace.prompt(), prefixText);
        keys.put(prefixText, key);
        byStyle
            .computeIfAbsent(List.of(trace.cue(), lineEnd), style -> new LinkedHashMap<>())
            .putIfAbsent(key, new GenerationRequest(trace.prompt(), prefix));
      }
      uncovered.add(keys);
    }
    Map<List<Object>, String> continuations = new HashMap<>();
    for (Map.Entry<List<String>, Map<List<Object>, GenerationRequest>> style : byStyle.entrySet()) {
      GenerationOptions greedy =
          GenerationOptions.builder()
              .optTemperature(0)
              .optMaxTokens(settings.mcMaxTokens())
              .optUseKvCache(true)
              .optAnswerCue(style.getKey().get(0))
              .optLineEnd(style.getKey().get(1))
              .build();
      List<List<Object>> keys = new ArrayList<>(style.getValue().keySet());
      List<Sample> samples = backend.generate(new ArrayList<>(style.getValue().values()), greedy);
      for (int k = 0; k < keys.size(); k++) {
        continuations.put(keys.get(k), samples.get(k).text());
      }
    }
    List<Map<String, String>> fills = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      PreparedTrace trace = traces.get(i);
      String reference = trace.trace().rollout().getReferenceAnswer();
      Map<String, String> fill = new HashMap<>();
      for (Map.Entry<String, List<Object>> prefix : uncovered.get(i).entrySet()) {
        String continuation = continuations.get(prefix.getValue());
        if (trace.task().verifyAnswer(reference, prefix.getKey() + continuation).isCorrect()) {
          fill.put(prefix.getKey(), withFinalLineEnd(continuation, trace.task().lineEnd()));
        }
      }
      fills.add(fill);
    }
    return fills;
  }

  /** {@code rule}, with a prefix it leaves without a remainder given its fill, if it has one. */
  private static BankRequest.RemainderRule withFills(
      BankRequest.RemainderRule rule, Map<String, String> fills) {
    if (fills.isEmpty()) {
      return rule;
    }
    return (prefixText, aligned) -> {
      Set<String> kept = rule.remainders(prefixText, aligned);
      String fill = fills.get(prefixText);
      return kept.isEmpty() && fill != null ? Set.of(fill) : kept;
    };
  }

  /**
   * Correct texts of the group and the reference solution, each ending with its answer line and
   * {@code lineEnd}; with {@code leftOut} set, the text that rollout contributed is left out unless
   * the reference or another member contributed the same text.
   */
  static List<String> bank(TraceGroup group, Rollout leftOut, String lineEnd) {
    Map<String, Integer> contributors = new LinkedHashMap<>();
    for (TraceCredit trace : group.traces()) {
      Rollout rollout = trace.rollout();
      if (rollout.getReferenceSolution() != null) {
        contributors.merge(
            withFinalLineEnd(rollout.getReferenceSolution(), lineEnd), 1, Integer::sum);
      }
      if (rollout.getReward() >= CORRECT_REWARD) {
        contributors.merge(withFinalLineEnd(rollout.getText(), lineEnd), 1, Integer::sum);
      }
    }
    // The reference solution is counted once per member above; every member of a group carries the
    // same one, so it never drops to zero by leaving one member out.
    if (leftOut != null && leftOut.getReward() >= CORRECT_REWARD) {
      contributors.computeIfPresent(
          withFinalLineEnd(leftOut.getText(), lineEnd),
          (text, count) -> count > 1 ? count - 1 : null);
    }
    return new ArrayList<>(contributors.keySet());
  }

  /** The splice check and the oracle-solutions diagnostic, as the settings ask. */
  private static BankRequest.RemainderRule remainderRule(
      ModelSettings settings, PreparedTrace trace) {
    if (!settings.bankSpliceCheck() && settings.bankOracleSolutions() == 0) {
      return BankRequest.RemainderRule.ALIGNED;
    }
    TaskFamily task = trace.task();
    String reference = trace.trace().rollout().getReferenceAnswer();
    String answerLine = trace.cue() + trace.answer();
    String lineEnd = task.lineEnd();
    return (prefixText, aligned) -> {
      if (!prefixText.isEmpty() && !prefixText.endsWith(lineEnd)) {
        return aligned;
      }
      Set<String> kept = new LinkedHashSet<>();
      for (String remainder : aligned) {
        if (!settings.bankSpliceCheck()
            || task.verifyAnswer(reference, prefixText + remainder).isCorrect()) {
          kept.add(remainder);
        }
      }
      for (String solution :
          task.solutionsAfter(reference, prefixText, settings.bankOracleSolutions())) {
        if (solution.endsWith(answerLine)) {
          kept.add(solution);
        }
      }
      return kept;
    };
  }

  private static String withFinalLineEnd(String text, String lineEnd) {
    return text.endsWith(lineEnd) ? text : text + lineEnd;
  }

  /** The step lines of each bank text that ends its steps with the trace's answer line. */
  private static List<List<String>> bankSteps(
      PolicyBackend backend, PreparedTrace trace, List<String> bank) {
    String answerLine = trace.cue() + trace.answer();
    String lineEnd = trace.task().lineEnd();
    List<List<String>> bankSteps = new ArrayList<>();
    for (String u : bank) {
      List<String> steps = trace.task().splitSteps(u);
      if (!u.substring(String.join("", steps).length()).equals(answerLine)
          || !steps.stream().allMatch(step -> step.endsWith(lineEnd))) {
        continue;
      }
      try {
        backend.tokenizer().encode(u);
        bankSteps.add(steps);
      } catch (UnmappableTextException e) {
        // A solution the tokenizer cannot encode cannot be scored; the rest of the bank can.
      }
    }
    if (bankSteps.isEmpty()) {
      throw new ValueScorer.EmptyBankException(
          "no correct solution of the group ends its steps with '"
              + answerLine.replace("\n", "\\n")
              + "'");
    }
    return bankSteps;
  }
}
