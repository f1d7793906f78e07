package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code bank} values: continuation-bank values ({@link PolicyBackend#bankValues}) at every
 * unfinished boundary and the rollout's reward ζ at the finished trace. The bank is the rollouts'
 * reference solution plus the texts of the group's correct traces, each split into the task's step
 * lines and kept when what follows the steps is exactly the answer line; a trace with an empty bank
 * fails with {@link ValueScorer.EmptyBankException}.
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
   * Bank values of a batch of traces in one {@link PolicyBackend#bankValues} call, so the group's
   * traces and bank texts share one context pass and each distinct sequence is scored once.
   */
  @Override
  public List<double[]> values(
      PolicyBackend backend, ModelSettings settings, TraceGroup group, List<PreparedTrace> traces) {
    List<String> bank = bank(group);
    List<BankRequest> requests = new ArrayList<>();
    for (PreparedTrace trace : traces) {
      requests.add(
          new BankRequest(
              trace.prompt(),
              trace.tokens(),
              trace.unfinishedBoundaries(),
              bankSteps(backend, trace, bank),
              trace.cue(),
              trace.answer(),
              settings.bankAggregation()));
    }
    List<double[]> values = backend.bankValues(requests, settings.reuseKvCache());
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      out.add(traces.get(i).withFinalReward(values.get(i)));
    }
    return out;
  }

  /** Correct texts of the group and the reference solution, each ending with its answer line. */
  private static List<String> bank(TraceGroup group) {
    Set<String> bank = new LinkedHashSet<>();
    for (TraceCredit trace : group.traces()) {
      Rollout rollout = trace.rollout();
      if (rollout.getReferenceSolution() != null) {
        bank.add(withFinalNewline(rollout.getReferenceSolution()));
      }
      if (rollout.getReward() >= CORRECT_REWARD) {
        bank.add(withFinalNewline(rollout.getText()));
      }
    }
    return new ArrayList<>(bank);
  }

  private static String withFinalNewline(String text) {
    return text.endsWith("\n") ? text : text + "\n";
  }

  /** The step lines of each bank text that ends its steps with the trace's answer line. */
  private static List<List<String>> bankSteps(
      PolicyBackend backend, PreparedTrace trace, List<String> bank) {
    String answerLine = trace.cue() + trace.answer();
    List<List<String>> bankSteps = new ArrayList<>();
    for (String u : bank) {
      List<String> steps = trace.task().splitSteps(u);
      if (!u.substring(String.join("", steps).length()).equals(answerLine)
          || !steps.stream().allMatch(step -> step.endsWith("\n"))) {
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
