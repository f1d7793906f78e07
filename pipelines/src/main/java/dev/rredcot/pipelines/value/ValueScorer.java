package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.endpoint.ModelServerUnavailableException;
import dev.rredcot.model.policy.BankRequest;
import dev.rredcot.model.policy.GenerationOptions;
import dev.rredcot.model.policy.GenerationRequest;
import dev.rredcot.model.policy.Sample;
import dev.rredcot.model.policy.ScoreRequest;
import dev.rredcot.model.policy.TraceScore;
import dev.rredcot.model.policy.ValueRequest;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.model.task.UnknownTaskFamilyException;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Computes boundary values v_0..v_K for the traces of one group with a policy backend, for one
 * {@link ValueEstimator}; the rollouts' task families come from the registry of {@link
 * ModelSettings#taskFamilies()}. Plain Java (no Beam), so the pipeline's DoFn and the benchmark's
 * bare loop run exactly the same scoring.
 *
 * <p>The last boundary is the finished trace: {@code answer}, {@code bank} and {@code mc} give it
 * the rollout's verified reward ζ without a model call (RedistributeRewards sets v_K = ζ anyway)
 * and estimate only v_0..v_{K−1}.
 *
 * <ul>
 *   <li>{@code answer}: {@code p(answerSuffix(y*) | prompt + trace[0:b] + cue)} at every boundary
 *       b, KV cache reused when configured; traces of a group are batched (by count and tokens).
 *   <li>{@code bank}: continuation-bank values ({@link PolicyBackend#bankValues}); the bank is the
 *       rollout's reference solution plus the texts of the group's correct traces (reward 1), each
 *       split into the task's step lines ({@link TaskFamily#splitSteps}) and kept when what follows
 *       the steps is exactly the answer line {@code cue + answerSuffix(y*)}; each boundary scores
 *       the solutions' remainders aligned with it, combined as {@link
 *       ModelSettings#bankAggregation()} says. Traces of a group are batched like {@code answer},
 *       so the group's traces and bank texts share one context pass and a bank text's rest after a
 *       trace prefix equal to its own is read from it rather than scored again ({@link
 *       PolicyBackend#bankValues} says when a bank text's pass pays off). An empty bank is a
 *       failure ({@code empty-continuation-bank}).
 *   <li>{@code mc}: M continuations sampled from every boundary but the last and verified with the
 *       task; v = fraction correct. Identical prefixes share one prefill ({@link
 *       PolicyBackend#generate}).
 *   <li>{@code loo} and {@code gradient}: per-segment attributions a_k (loo: {@code p_full − p(y* |
 *       trace without segment k)}; gradient: gradient × input of {@code log p(y* | full trace)}
 *       summed over segment k's tokens) mapped to boundary values by v_0 = p(y* | prompt alone) and
 *       v_k = v_0 + (p_full − v_0) · (a_1 + … + a_k) / (a_1 + … + a_K), so v_K = p_full and the
 *       segment rewards split the total change p_full − v_0 in proportion to the attributions
 *       (equal shares when the attributions sum to 0). These values can leave [0, 1] when
 *       attributions have mixed signs; the telescoping sum still holds.
 * </ul>
 *
 * <p>Every trace gets either values (one per boundary, all finite) or a {@link
 * ValueEstimationException} with a dead-letter reason: {@code group-size-mismatch}, {@code
 * missing-reference-answer}, {@code unknown-task-family}, {@code unmappable-tokens}, {@code
 * trace-too-long}, {@code empty-continuation-bank}, {@code non-finite-value}, {@code
 * model-server-unavailable} or {@code scoring-failed}. An estimator whose backend lacks a
 * capability it needs is refused by {@link #checkBackend} before any record.
 */
public final class ValueScorer {
  /** Sees every policy call: traces in it, their tokens, wall time and forward tokens used. */
  @FunctionalInterface
  public interface BatchObserver {
    void onBatch(int traces, long traceTokens, double latencyMs, long forwardTokens);

    BatchObserver NONE = (traces, tokens, latencyMs, forwardTokens) -> {};
  }

  /** Values for one trace, or why there are none. */
  public static final class Outcome {
    private final TraceCredit trace;
    private final double[] values;
    private final ValueEstimationException failure;

    private Outcome(TraceCredit trace, double[] values, ValueEstimationException failure) {
      this.trace = trace;
      this.values = values;
      this.failure = failure;
    }

    public TraceCredit trace() {
      return trace;
    }

    /** v_0..v_K, or null on failure. */
    public double[] values() {
      return values;
    }

    /** The failure, or null. */
    public ValueEstimationException failure() {
      return failure;
    }
  }

  private static final double CORRECT_REWARD = 1.0 - 1e-9;

  private final ValueEstimator estimator;
  private final ModelSettings settings;
  private final TaskFamilyRegistry families;

  public ValueScorer(ValueEstimator estimator, ModelSettings settings) {
    if (!estimator.needsPolicy()) {
      throw new IllegalArgumentException(
          "valueEstimator " + estimator.optionValue() + " needs no model");
    }
    this.estimator = estimator;
    this.settings = settings;
    this.families = TaskFamilyRegistry.parse(settings.taskFamilies());
  }

  public ValueEstimator estimator() {
    return estimator;
  }

  /** The capabilities a backend needs for {@code estimator}'s values. */
  public static List<BackendCapability> requiredCapabilities(ValueEstimator estimator) {
    switch (estimator) {
      case MC:
        return List.of(BackendCapability.GENERATION);
      case GRADIENT:
        return List.of(BackendCapability.GRADIENTS);
      default:
        return List.of();
    }
  }

  /**
   * Fails unless {@code backend} can give {@code estimator}'s values; stages call it when they
   * start.
   *
   * @throws dev.rredcot.model.backend.UnsupportedCapabilityException naming the option and the
   *     missing capability
   */
  public static void checkBackend(ValueEstimator estimator, PolicyBackend backend) {
    for (BackendCapability capability : requiredCapabilities(estimator)) {
      backend.require(capability, "--valueEstimator=" + estimator.optionValue());
    }
  }

  /** The task family that verifies rollouts of {@code name}, from the configured registry. */
  public TaskFamily taskFamily(String name) throws ValueEstimationException {
    return taskFamily(families, name);
  }

  /** The task family called {@code name} in {@code registry}, or {@code unknown-task-family}. */
  public static TaskFamily taskFamily(TaskFamilyRegistry registry, String name)
      throws ValueEstimationException {
    try {
      return registry.resolve(name);
    } catch (UnknownTaskFamilyException e) {
      throw new ValueEstimationException("unknown-task-family", e.getMessage());
    }
  }

  /** One checked trace with everything the policy calls need. */
  private static final class Prepared {
    final TraceCredit trace;
    final String prompt;
    final int[] tokens;
    final int[] boundaries;
    final String cue;
    final String answer;
    final TaskFamily task;
    final int contextTokens;

    Prepared(
        TraceCredit trace,
        String prompt,
        int[] tokens,
        int[] boundaries,
        String cue,
        String answer,
        TaskFamily task,
        int contextTokens) {
      this.trace = trace;
      this.prompt = prompt;
      this.tokens = tokens;
      this.boundaries = boundaries;
      this.cue = cue;
      this.answer = answer;
      this.task = task;
      this.contextTokens = contextTokens;
    }

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

  /** Values for {@code traces} (all from {@code group}), scored with {@code policy}. */
  public List<Outcome> score(
      PolicyBackend policy, TraceGroup group, List<TraceCredit> traces, BatchObserver observer) {
    List<Outcome> outcomes = new ArrayList<>();
    List<Prepared> prepared = new ArrayList<>();
    for (TraceCredit trace : traces) {
      try {
        prepared.add(prepare(policy, group, trace));
      } catch (ValueEstimationException e) {
        outcomes.add(new Outcome(trace, null, e));
      }
    }
    if (estimator == ValueEstimator.ANSWER) {
      for (List<Prepared> chunk : chunks(prepared)) {
        outcomes.addAll(scoreChunk(policy, chunk, observer));
      }
    } else if (estimator == ValueEstimator.BANK) {
      List<String> bank = bank(group);
      for (List<Prepared> chunk : chunks(prepared)) {
        outcomes.addAll(call(policy, chunk, observer, batch -> bankValues(policy, batch, bank)));
      }
    } else {
      for (Prepared trace : prepared) {
        outcomes.addAll(
            call(
                policy,
                List.of(trace),
                observer,
                single -> List.of(scoreOne(policy, single.get(0)))));
      }
    }
    return outcomes;
  }

  /**
   * Per-token predictive entropies of a rollout's trace from {@link PolicyBackend#score}, for
   * segmentation when the generator did not record them.
   */
  public static float[] entropies(PolicyBackend policy, Rollout rollout)
      throws ValueEstimationException {
    int[] tokens = checkedTokens(policy.tokenizer(), rollout);
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

  private Prepared prepare(PolicyBackend policy, TraceGroup group, TraceCredit trace)
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
    TaskFamily task = taskFamily(rollout.getTaskFamily());
    Tokenizer tokenizer = policy.tokenizer();
    int[] tokens = checkedTokens(tokenizer, rollout);
    String cue = settings.answerCue().isEmpty() ? task.answerCue() : settings.answerCue();
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
    return new Prepared(
        trace, rollout.getPromptText(), tokens, boundaries, cue, answer, task, context);
  }

  private static int[] checkedTokens(Tokenizer tokenizer, Rollout rollout)
      throws ValueEstimationException {
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

  private List<List<Prepared>> chunks(List<Prepared> prepared) {
    List<List<Prepared>> chunks = new ArrayList<>();
    List<Prepared> current = new ArrayList<>();
    long tokens = 0;
    for (Prepared trace : prepared) {
      if (!current.isEmpty()
          && (current.size() >= settings.maxBatchTraces()
              || tokens + trace.contextTokens > settings.maxBatchTokens())) {
        chunks.add(current);
        current = new ArrayList<>();
        tokens = 0;
      }
      current.add(trace);
      tokens += trace.contextTokens;
    }
    if (!current.isEmpty()) {
      chunks.add(current);
    }
    return chunks;
  }

  private List<Outcome> scoreChunk(
      PolicyBackend policy, List<Prepared> chunk, BatchObserver observer) {
    return call(
        policy,
        chunk,
        observer,
        batch -> {
          List<ValueRequest> requests = new ArrayList<>();
          for (Prepared trace : batch) {
            requests.add(trace.request(trace.tokens, trace.unfinishedBoundaries()));
          }
          List<double[]> values = policy.answerValues(requests, settings.reuseKvCache());
          List<double[]> out = new ArrayList<>();
          for (int i = 0; i < batch.size(); i++) {
            out.add(batch.get(i).withFinalReward(values.get(i)));
          }
          return out;
        });
  }

  /**
   * Runs one policy call for {@code batch}, times it and checks its values; when the call throws
   * for a batch of several traces, each trace is retried alone so one bad trace fails alone.
   */
  private List<Outcome> call(
      PolicyBackend policy,
      List<Prepared> batch,
      BatchObserver observer,
      Function<List<Prepared>, List<double[]>> scoring) {
    long startNanos = System.nanoTime();
    long forwardBefore = policy.forwardTokens();
    List<double[]> values;
    try {
      values = scoring.apply(batch);
    } catch (RuntimeException e) {
      // A server that is down fails every trace alike: retrying them one by one would only wait.
      if (batch.size() > 1 && !(e instanceof ModelServerUnavailableException)) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Prepared trace : batch) {
          outcomes.addAll(call(policy, List.of(trace), observer, scoring));
        }
        return outcomes;
      }
      List<Outcome> failed = new ArrayList<>();
      for (Prepared trace : batch) {
        failed.add(
            new Outcome(
                trace.trace,
                null,
                new ValueEstimationException(
                    reason(e), e.getClass().getName() + ": " + e.getMessage())));
      }
      return failed;
    }
    long tokens = 0;
    for (Prepared trace : batch) {
      tokens += trace.tokens.length;
    }
    observer.onBatch(
        batch.size(),
        tokens,
        (System.nanoTime() - startNanos) / 1e6,
        policy.forwardTokens() - forwardBefore);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Prepared trace = batch.get(i);
      double[] v = values.get(i);
      outcomes.add(check(trace, v));
    }
    return outcomes;
  }

  private static String reason(RuntimeException e) {
    if (e instanceof EmptyBankException) {
      return "empty-continuation-bank";
    }
    if (e instanceof ModelServerUnavailableException) {
      return ModelServerUnavailableException.REASON;
    }
    return "scoring-failed";
  }

  /** Values of the right count and all finite, else the failure ({@code non-finite-value}...). */
  static Outcome check(TraceCredit trace, int boundaries, double[] values) {
    return check(new Prepared(trace, "", new int[0], new int[boundaries], "", "", null, 0), values);
  }

  private static Outcome check(Prepared trace, double[] values) {
    if (values.length != trace.boundaries.length) {
      return new Outcome(
          trace.trace,
          null,
          new ValueEstimationException(
              "value-count-mismatch",
              values.length + " values for " + trace.boundaries.length + " boundaries"));
    }
    for (int k = 0; k < values.length; k++) {
      if (!Double.isFinite(values[k])) {
        return new Outcome(
            trace.trace,
            null,
            new ValueEstimationException(
                "non-finite-value", "value at boundary " + k + " is " + values[k]));
      }
    }
    return new Outcome(trace.trace, values, null);
  }

  private double[] scoreOne(PolicyBackend policy, Prepared trace) {
    switch (estimator) {
      case MC:
        return monteCarloValues(policy, trace);
      case LOO:
        return leaveOneOutValues(policy, trace);
      case GRADIENT:
        return gradientValues(policy, trace);
      default:
        throw new IllegalStateException("no per-trace scoring for " + estimator);
    }
  }

  /** Correct texts of the group and the reference solution, each ending with its answer line. */
  private List<String> bank(TraceGroup group) {
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

  /**
   * Bank values of a batch of traces in one {@link PolicyBackend#bankValues} call, so the group's
   * traces and bank texts share one context pass and each distinct sequence is scored once.
   */
  private List<double[]> bankValues(PolicyBackend policy, List<Prepared> batch, List<String> bank) {
    List<BankRequest> requests = new ArrayList<>();
    for (Prepared trace : batch) {
      requests.add(
          new BankRequest(
              trace.prompt,
              trace.tokens,
              trace.unfinishedBoundaries(),
              bankSteps(policy, trace, bank),
              trace.cue,
              trace.answer,
              settings.bankAggregation()));
    }
    List<double[]> values = policy.bankValues(requests, settings.reuseKvCache());
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      out.add(batch.get(i).withFinalReward(values.get(i)));
    }
    return out;
  }

  /** The step lines of each bank text that ends its steps with the trace's answer line. */
  private static List<List<String>> bankSteps(
      PolicyBackend policy, Prepared trace, List<String> bank) {
    String answerLine = trace.cue + trace.answer;
    List<List<String>> bankSteps = new ArrayList<>();
    for (String u : bank) {
      List<String> steps = trace.task.splitSteps(u);
      if (!u.substring(String.join("", steps).length()).equals(answerLine)
          || !steps.stream().allMatch(step -> step.endsWith("\n"))) {
        continue;
      }
      try {
        policy.tokenizer().encode(u);
        bankSteps.add(steps);
      } catch (UnmappableTextException e) {
        // A solution the tokenizer cannot encode cannot be scored; the rest of the bank can.
      }
    }
    if (bankSteps.isEmpty()) {
      throw new EmptyBankException(
          "no correct solution of the group ends its steps with '"
              + answerLine.replace("\n", "\\n")
              + "'");
    }
    return bankSteps;
  }

  private double[] monteCarloValues(PolicyBackend policy, Prepared trace) {
    int samples = settings.mcSamples();
    int last = trace.boundaries.length - 1;
    List<GenerationRequest> requests = new ArrayList<>();
    for (int k = 0; k < last; k++) {
      int[] prefix = Arrays.copyOf(trace.tokens, trace.boundaries[k]);
      for (int m = 0; m < samples; m++) {
        requests.add(new GenerationRequest(trace.prompt, prefix));
      }
    }
    GenerationOptions options =
        GenerationOptions.builder()
            .optTemperature(settings.mcTemperature())
            .optMaxTokens(settings.mcMaxTokens())
            .optSeed(trace.trace.rollout().getRolloutId().hashCode())
            .optUseKvCache(true)
            .optAnswerCue(trace.cue)
            .build();
    List<Sample> generated = requests.isEmpty() ? List.of() : policy.generate(requests, options);
    String reference = trace.trace.rollout().getReferenceAnswer();
    double[] values = new double[last];
    for (int k = 0; k < last; k++) {
      String prefixText =
          policy.tokenizer().decode(Arrays.copyOf(trace.tokens, trace.boundaries[k]));
      int correct = 0;
      for (int m = 0; m < samples; m++) {
        Sample sample = generated.get(k * samples + m);
        if (trace.task.verifyAnswer(reference, prefixText + sample.text()).isCorrect()) {
          correct++;
        }
      }
      values[k] = correct / (double) samples;
    }
    return trace.withFinalReward(values);
  }

  private double[] leaveOneOutValues(PolicyBackend policy, Prepared trace) {
    int segments = trace.boundaries.length - 1;
    List<ValueRequest> requests = new ArrayList<>();
    requests.add(trace.request(trace.tokens, new int[] {0, trace.tokens.length}));
    for (int k = 1; k <= segments; k++) {
      int from = trace.boundaries[k - 1];
      int to = trace.boundaries[k];
      int[] removed = new int[trace.tokens.length - (to - from)];
      System.arraycopy(trace.tokens, 0, removed, 0, from);
      System.arraycopy(trace.tokens, to, removed, from, trace.tokens.length - to);
      requests.add(trace.request(removed, new int[] {removed.length}));
    }
    List<double[]> answers = policy.answerValues(requests, settings.reuseKvCache());
    double promptOnly = answers.get(0)[0];
    double full = answers.get(0)[1];
    double[] attributions = new double[segments];
    for (int k = 0; k < segments; k++) {
      attributions[k] = full - answers.get(k + 1)[0];
    }
    return valuesFromAttributions(promptOnly, full, attributions);
  }

  private double[] gradientValues(PolicyBackend policy, Prepared trace) {
    ValueRequest request = trace.request(trace.tokens, new int[] {0, trace.tokens.length});
    double[] ends = policy.answerValues(List.of(request), settings.reuseKvCache()).get(0);
    double[] perToken = policy.gradientTimesInput(List.of(request)).get(0);
    int segments = trace.boundaries.length - 1;
    double[] attributions = new double[segments];
    for (int k = 0; k < segments; k++) {
      for (int t = trace.boundaries[k]; t < trace.boundaries[k + 1]; t++) {
        attributions[k] += perToken[t];
      }
    }
    return valuesFromAttributions(ends[0], ends[1], attributions);
  }

  /**
   * v_0 = {@code promptOnly}, v_k = v_0 + (full − v_0) · A_k / A_K with A_k the cumulative
   * attribution; equal shares when |A_K| is (numerically) zero. Non-finite attributions give
   * non-finite values, which the caller turns into {@code non-finite-value}.
   */
  static double[] valuesFromAttributions(double promptOnly, double full, double[] attributions) {
    int segments = attributions.length;
    double total = 0;
    for (double a : attributions) {
      total += a;
    }
    double[] values = new double[segments + 1];
    values[0] = promptOnly;
    double cumulative = 0;
    for (int k = 1; k <= segments; k++) {
      cumulative += attributions[k - 1];
      double share = Math.abs(total) > 1e-12 ? cumulative / total : k / (double) segments;
      if (!Double.isFinite(total)) {
        share = Double.NaN;
      }
      values[k] = promptOnly + (full - promptOnly) * share;
    }
    return values;
  }

  /** The continuation bank of a trace is empty; becomes {@code empty-continuation-bank}. */
  static final class EmptyBankException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmptyBankException(String message) {
      super(message);
    }
  }
}
