package dev.rredcot.model.trainer;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.TrainExample;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's logic without Kafka: takes {@link CreditedRollout} records with their partition and
 * offset, deduplicates them, applies the staleness bound, gathers complete groups into batches of
 * B, runs {@link Policy#trainStep} with each record's per-token advantages and behaviour log-probs,
 * and writes every new policy as a checkpoint together with its {@link TrainerProgress}, so that
 * {@link #open} after a crash resumes exactly where that checkpoint was taken (neither retraining
 * nor skipping a record).
 *
 * <p>Not thread-safe: one thread offers records.
 */
public final class TrainerCore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrainerCore.class);
  private static final RecordCodec<CreditedRollout> CODEC = RecordCodec.of(CreditedRollout.class);

  /** What happened to an offered record. */
  public enum Disposition {
    /** Buffered in its group (possibly completing it and triggering steps). */
    ACCEPTED,
    /** Seen already (same rollout id, a group already trained, or an offset already consumed). */
    DUPLICATE,
    /** More than S versions behind and dropped. */
    STALE,
    /** Malformed; the reason says why. */
    INVALID
  }

  /**
   * Result of {@link #offer}.
   *
   * @param disposition what happened to the record
   * @param reason why it was not accepted (empty when accepted)
   * @param steps optimiser steps the record triggered (usually none)
   */
  public record OfferResult(Disposition disposition, String reason, List<TrainedStep> steps) {

    /** Copies the list. */
    public OfferResult {
      steps = List.copyOf(steps);
    }
  }

  private final Policy policy;
  private final CheckpointStore store;
  private final ProgressStore progressStore;
  private final TrainerOptions options;
  private final Map<Integer, Long> nextOffsets = new TreeMap<>();
  private final Map<Integer, Long> resumeOffsets;
  private final LinkedHashMap<String, Map<Integer, CreditedRollout>> pendingGroups =
      new LinkedHashMap<>();
  private final LinkedHashSet<String> readyGroups = new LinkedHashSet<>();
  private final LinkedHashMap<String, Long> trainedGroups = new LinkedHashMap<>();
  private final Map<String, Long> counters = new TreeMap<>();
  private Checkpoint latestCheckpoint;
  private TrainStepResult lastResult;
  private double lastHeldOutAccuracy = Double.NaN;

  private TrainerCore(
      Policy policy,
      CheckpointStore store,
      ProgressStore progressStore,
      TrainerOptions options,
      Checkpoint checkpoint,
      TrainerProgress progress) {
    this.policy = policy;
    this.store = store;
    this.progressStore = progressStore;
    this.options = options;
    this.latestCheckpoint = checkpoint;
    this.nextOffsets.putAll(progress.nextOffsets());
    this.resumeOffsets = Map.copyOf(new TreeMap<>(progress.nextOffsets()));
    this.trainedGroups.putAll(progress.trainedGroups());
    this.counters.putAll(progress.counters());
    for (String encoded : progress.pendingRecords()) {
      buffer(CODEC.decode(Base64.getDecoder().decode(encoded)));
    }
  }

  /**
   * Loads the newest checkpoint of {@code store} and the progress written with it (none for a
   * checkpoint the trainer did not write, e.g. the initial policy), and deletes progress files of
   * versions that are not in the store (interrupted writes, retention).
   *
   * @param progressDir directory of the progress files (e.g. beside the checkpoint store)
   * @throws IllegalStateException when the store holds no checkpoint
   */
  public static TrainerCore open(CheckpointStore store, Path progressDir, TrainerOptions options)
      throws IOException {
    Objects.requireNonNull(options, "options");
    Checkpoint checkpoint =
        store
            .latest()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "checkpoint store "
                            + store.root()
                            + " is empty: write the initial policy as version 0 first"));
    ProgressStore progressStore = new ProgressStore(progressDir);
    progressStore.retainOnly(store.versions());
    TrainerProgress progress =
        progressStore
            .read(checkpoint.version())
            .orElse(TrainerProgress.empty(checkpoint.version()));
    Policy policy = Policy.load(checkpoint);
    LOG.info(
        "trainer resumes at version {} with offsets {}, {} pending records, {} trained groups"
            + " remembered",
        checkpoint.version(),
        progress.nextOffsets(),
        progress.pendingRecords().size(),
        progress.trainedGroups().size());
    return new TrainerCore(policy, store, progressStore, options, checkpoint, progress);
  }

  /**
   * Offsets (partition to next offset) to seek to after {@link #open}; partitions not listed were
   * never read and start at their beginning.
   */
  public Map<Integer, Long> resumeOffsets() {
    return resumeOffsets;
  }

  /** The current policy (owned by this core; do not close it). */
  public Policy policy() {
    return policy;
  }

  /** The checkpoint of the current policy. */
  public Checkpoint latestCheckpoint() {
    return latestCheckpoint;
  }

  /**
   * Takes one record read at {@code offset} of {@code partition}; returns what happened to it and
   * the optimiser steps it triggered (each already checkpointed).
   *
   * @throws IOException when a checkpoint or progress file cannot be written
   */
  public OfferResult offer(CreditedRollout record, int partition, long offset) throws IOException {
    Objects.requireNonNull(record, "record");
    Long next = nextOffsets.get(partition);
    if (next != null && offset < next) {
      increment("duplicates_ignored", 1);
      return new OfferResult(
          Disposition.DUPLICATE,
          "offset " + offset + " of partition " + partition + " consumed",
          List.of());
    }
    nextOffsets.put(partition, offset + 1);
    increment("rollouts_consumed", 1);
    String invalid = validate(record);
    if (invalid != null) {
      increment("invalid_records", 1);
      LOG.error("invalid credited rollout {}: {}", record.getRolloutId(), invalid);
      return new OfferResult(Disposition.INVALID, invalid, List.of());
    }
    Map<Integer, CreditedRollout> group = pendingGroups.get(record.getGroupId());
    if (trainedGroups.containsKey(record.getGroupId())
        || (group != null && group.containsKey(record.getSampleIndex()))) {
      increment("duplicates_ignored", 1);
      return new OfferResult(
          Disposition.DUPLICATE, "rollout " + record.getRolloutId() + " seen already", List.of());
    }
    if (isStale(record.getPolicyVersion())) {
      if (options.stalenessMode() == StalenessMode.DROP) {
        increment("stale_dropped", 1);
        return new OfferResult(
            Disposition.STALE,
            "policy version "
                + record.getPolicyVersion()
                + " is more than "
                + options.stalenessBound()
                + " behind "
                + policy.version(),
            List.of());
      }
      increment("stale_kept", 1);
    }
    if (group != null) {
      int expected = group.values().iterator().next().getGroupCount();
      if (expected != record.getGroupCount()) {
        increment("invalid_records", 1);
        String reason =
            "groupCount " + record.getGroupCount() + " differs from its group's " + expected;
        LOG.error("invalid credited rollout {}: {}", record.getRolloutId(), reason);
        return new OfferResult(Disposition.INVALID, reason, List.of());
      }
    }
    buffer(record);
    List<TrainedStep> steps = new ArrayList<>();
    while (readyGroups.size() >= options.batchGroups()) {
      TrainedStep step = trainOneBatch();
      if (step != null) {
        steps.add(step);
      }
    }
    return new OfferResult(Disposition.ACCEPTED, "", steps);
  }

  /** Current counters and last-step figures. */
  public TrainerStats stats() {
    return new TrainerStats(
        policy.version(),
        counter("steps"),
        counter("rollouts_consumed"),
        counter("rollouts_trained"),
        counter("duplicates_ignored"),
        counter("stale_dropped"),
        counter("stale_kept"),
        counter("invalid_records"),
        counter("zero_signal_groups"),
        pendingGroups.size(),
        lastResult == null ? Double.NaN : lastResult.loss(),
        lastResult == null ? Double.NaN : lastResult.kl(),
        lastResult == null ? Double.NaN : lastResult.clipFraction(),
        lastHeldOutAccuracy);
  }

  /** The announcement of {@code checkpoint} for the {@code checkpoints} topic. */
  public static PolicyCheckpoint announcement(
      Checkpoint checkpoint, Map<String, Double> extraMetrics) {
    Map<String, Double> metrics = new TreeMap<>(checkpoint.metrics());
    metrics.putAll(extraMetrics);
    return PolicyCheckpoint.newBuilder()
        .setVersion(checkpoint.version())
        .setParentVersion(checkpoint.parentVersion())
        .setUri(checkpoint.uri().toString())
        .setManifestSha256(checkpoint.manifestSha256())
        .setCreatedAtMs(checkpoint.createdAt())
        .setMetrics(metrics)
        .build();
  }

  @Override
  public void close() {
    policy.close();
  }

  private String validate(CreditedRollout record) {
    int tokens = record.getTokenIds().size();
    if (tokens == 0) {
      return "empty trace";
    }
    int vocabSize = policy.tokenizer().vocabSize();
    for (int id : record.getTokenIds()) {
      if (id < 0 || id >= vocabSize) {
        return "token id " + id + " outside the vocabulary [0, " + vocabSize + ")";
      }
    }
    int promptTokens;
    try {
      promptTokens = policy.tokenizer().encode(record.getPromptText()).length;
    } catch (RuntimeException e) {
      return "prompt text cannot be tokenized: " + e.getMessage();
    }
    // bos + prompt + trace must fit the model's context.
    if (1 + promptTokens + tokens > policy.config().maxContext()) {
      return "bos + prompt + trace is "
          + (1 + promptTokens + tokens)
          + " tokens, more than maxContext "
          + policy.config().maxContext();
    }
    if (record.getLogProbs().size() != tokens || record.getTokenAdvantages().size() != tokens) {
      return "tokenIds ("
          + tokens
          + "), logProbs ("
          + record.getLogProbs().size()
          + ") and tokenAdvantages ("
          + record.getTokenAdvantages().size()
          + ") must have the same length";
    }
    if (record.getGroupCount() <= 0) {
      return "groupCount must be positive, got " + record.getGroupCount();
    }
    if (record.getSampleIndex() < 0) {
      return "sampleIndex must be >= 0, got " + record.getSampleIndex();
    }
    for (int i = 0; i < tokens; i++) {
      if (!Float.isFinite(record.getTokenAdvantages().get(i))
          || !Float.isFinite(record.getLogProbs().get(i))) {
        return "non-finite advantage or log-prob at token " + i;
      }
    }
    return null;
  }

  private boolean isStale(long behaviourVersion) {
    return behaviourVersion < policy.version() - options.stalenessBound();
  }

  private void buffer(CreditedRollout record) {
    Map<Integer, CreditedRollout> group =
        pendingGroups.computeIfAbsent(record.getGroupId(), g -> new TreeMap<>());
    group.put(record.getSampleIndex(), record);
    if (group.size() >= record.getGroupCount()) {
      readyGroups.add(record.getGroupId());
    }
  }

  /** Trains on the first B ready groups (after dropping stale ones); null when no step ran. */
  private TrainedStep trainOneBatch() throws IOException {
    dropStalePendingGroups();
    if (readyGroups.size() < options.batchGroups()) {
      return null;
    }
    List<String> groupIds = new ArrayList<>();
    Iterator<String> ready = readyGroups.iterator();
    while (groupIds.size() < options.batchGroups()) {
      groupIds.add(ready.next());
      ready.remove();
    }
    List<String> rolloutIds = new ArrayList<>();
    List<TrainExample> examples = new ArrayList<>();
    double rewardSum = 0;
    for (String groupId : groupIds) {
      Map<Integer, CreditedRollout> group = pendingGroups.remove(groupId);
      boolean signal = false;
      for (CreditedRollout record : group.values()) {
        rolloutIds.add(record.getRolloutId());
        rewardSum += record.getReward();
        float[] advantages = toFloats(record.getTokenAdvantages());
        boolean nonZero = false;
        for (float a : advantages) {
          nonZero |= a != 0;
        }
        if (nonZero) {
          signal = true;
          examples.add(
              new TrainExample(
                  record.getPromptText(),
                  toInts(record.getTokenIds()),
                  advantages,
                  toFloats(record.getLogProbs())));
        }
      }
      if (!signal) {
        increment("zero_signal_groups", 1);
      }
      rememberTrained(groupId, group.values().iterator().next().getPolicyVersion());
    }
    if (examples.isEmpty()) {
      // Nothing to learn from: the groups count as consumed, and the next checkpoint's progress
      // records them; a crash before it replays them, which again trains nothing.
      return null;
    }
    TrainStepResult result = policy.trainStep(examples, options.trainOptions());
    lastResult = result;
    increment("steps", 1);
    increment("rollouts_trained", rolloutIds.size());
    long parent = policy.version();
    long version = parent + 1;
    Map<String, Double> metrics = new TreeMap<>();
    metrics.put("loss", result.loss());
    metrics.put("kl", result.kl());
    metrics.put("clip_fraction", result.clipFraction());
    metrics.put("grad_norm", result.gradNorm());
    metrics.put("tokens", (double) result.tokens());
    metrics.put("traces", (double) examples.size());
    metrics.put("groups", (double) groupIds.size());
    metrics.put("mean_reward", rewardSum / rolloutIds.size());
    // Progress first: a checkpoint always has its progress; a progress file without checkpoint is
    // an interrupted write that open() deletes.
    progressStore.write(progress(version));
    Checkpoint checkpoint = policy.save(store, version, parent, metrics);
    latestCheckpoint = checkpoint;
    progressStore.retainOnly(store.versions());
    EvaluationResult evaluation = null;
    if (options.evaluator() != null && version % options.evaluateEveryVersions() == 0) {
      evaluation = options.evaluator().evaluate(policy);
      lastHeldOutAccuracy = evaluation.sampledAccuracy();
    }
    LOG.info(
        "step -> v{}: {} groups, {} traces, loss {}, kl {}, clip {}",
        version,
        groupIds.size(),
        examples.size(),
        String.format("%.4f", result.loss()),
        String.format("%.4f", result.kl()),
        String.format("%.3f", result.clipFraction()));
    return new TrainedStep(checkpoint, groupIds, rolloutIds, result, evaluation);
  }

  private void dropStalePendingGroups() {
    if (options.stalenessMode() != StalenessMode.DROP) {
      return;
    }
    Iterator<Map.Entry<String, Map<Integer, CreditedRollout>>> it =
        pendingGroups.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Map<Integer, CreditedRollout>> entry = it.next();
      long behaviourVersion = entry.getValue().values().iterator().next().getPolicyVersion();
      if (isStale(behaviourVersion)) {
        increment("stale_dropped", entry.getValue().size());
        readyGroups.remove(entry.getKey());
        it.remove();
        LOG.info(
            "dropped stale group {} (version {}, policy at {})",
            entry.getKey(),
            behaviourVersion,
            policy.version());
      }
    }
  }

  private void rememberTrained(String groupId, long behaviourVersion) {
    trainedGroups.put(groupId, behaviourVersion);
    Iterator<Map.Entry<String, Long>> oldest = trainedGroups.entrySet().iterator();
    while (trainedGroups.size() > options.dedupMemoryGroups()) {
      oldest.next();
      oldest.remove();
    }
  }

  private TrainerProgress progress(long version) {
    List<String> pending = new ArrayList<>();
    // Ready groups first, in their ready order, so a restart forms the same batches.
    for (String groupId : readyGroups) {
      encodeGroup(pendingGroups.get(groupId), pending);
    }
    for (Map.Entry<String, Map<Integer, CreditedRollout>> entry : pendingGroups.entrySet()) {
      if (!readyGroups.contains(entry.getKey())) {
        encodeGroup(entry.getValue(), pending);
      }
    }
    return new TrainerProgress(
        version, nextOffsets, pending, new HashMap<>(trainedGroups), counters);
  }

  private static void encodeGroup(Map<Integer, CreditedRollout> group, List<String> out) {
    for (CreditedRollout record : group.values()) {
      out.add(Base64.getEncoder().encodeToString(CODEC.encode(record)));
    }
  }

  private void increment(String counter, long by) {
    counters.merge(counter, by, Long::sum);
  }

  private long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  private static int[] toInts(List<Integer> values) {
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
