package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerCounters.DUPLICATES_IGNORED;
import static dev.rredcot.model.trainer.TrainerCounters.INVALID_RECORDS;
import static dev.rredcot.model.trainer.TrainerCounters.ROLLOUTS_CONSUMED;
import static dev.rredcot.model.trainer.TrainerCounters.ROLLOUTS_TRAINED;
import static dev.rredcot.model.trainer.TrainerCounters.STEPS;
import static dev.rredcot.model.trainer.TrainerCounters.ZERO_SIGNAL_GROUPS;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.StoreLock;
import dev.rredcot.model.evaluation.EvaluationResult;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.policy.NonFiniteStepException;
import dev.rredcot.model.policy.TrainStepResult;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's logic without Kafka: takes {@link CreditedRollout} records with their partition and
 * offset, deduplicates them, applies the hard staleness bound, gathers complete groups into batches
 * of B, runs {@link TrainablePolicy#trainStep} (the decoupled PPO objective: rollouts behind the
 * policy are trained with a truncated importance weight against their own behaviour log-probs, not
 * dropped) with each record's per-token advantages and behaviour log-probs, and writes every new
 * policy as a checkpoint together with its {@link TrainerProgress}, so that {@link #open} after a
 * crash resumes exactly where that checkpoint was taken (neither retraining nor skipping a record).
 *
 * <p>Every record ends in one accounted state: trained (the trained-rollouts log), stale (beyond
 * the bound; the stale-rollouts log) or dead letter (counted by reason). A batch whose step has a
 * non-finite loss or gradient norm is refused: its rollouts count as dead letters by that reason,
 * the policy is unchanged, and the progress is written again so a restart does not retry it.
 *
 * <p>A {@link CreditedRecordCheck} decides which records the policy can train on, a {@link
 * GroupBuffer} collects them into complete groups, a {@link DedupMemory} remembers what was
 * consumed and trained, a {@link StalenessBound} accounts for stale rollouts and {@link
 * TrainerCounters} counts every outcome; this class decides the order of the checks and takes the
 * steps.
 *
 * <p>It holds the store's writer lock from {@link #open} to {@link #close}, so a second trainer on
 * the same store fails at start; every trained rollout is appended to a {@link TrainedRolloutLog}.
 *
 * <p>Not thread-safe: one thread offers records.
 */
public final class TrainerCore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrainerCore.class);

  /** Default name of the trained-rollouts log in the checkpoint store's root. */
  public static final String TRAINED_ROLLOUTS_FILE = "trained-rollouts.tsv";

  /**
   * Name of the stale-rollouts log beside the trained-rollouts log: one line per rollout dropped
   * for staleness, {@code policy_version rollout_id group_id behaviour_version} with the trainer's
   * version at the drop (a drop repeated after a restart may be listed twice).
   */
  public static final String STALE_ROLLOUTS_FILE = "stale-rollouts.tsv";

  /** What happened to an offered record. */
  public enum Disposition {
    /** Buffered in its group (possibly completing it and triggering steps). */
    ACCEPTED,
    /** Seen already (same rollout id, a group already trained, or an offset already consumed). */
    DUPLICATE,
    /** More than S versions behind (the hard staleness bound) and dropped. */
    STALE,
    /** Malformed or poisonous (non-finite or absurd numbers); goes to dead letters. */
    INVALID
  }

  /**
   * Result of {@link #offer}.
   *
   * @param disposition what happened to the record
   * @param reasonLabel short label of why it was not accepted, for dead letters and counters (empty
   *     when accepted)
   * @param reason why it was not accepted, in words (empty when accepted)
   * @param steps optimiser steps the record triggered (usually none)
   */
  public record OfferResult(
      Disposition disposition, String reasonLabel, String reason, List<TrainedStep> steps) {

    /** Copies the list. */
    public OfferResult {
      steps = List.copyOf(steps);
    }
  }

  private final TrainablePolicy policy;
  private final CheckpointStore store;
  private final ProgressStore progressStore;
  private final TrainerOptions options;
  private final StoreLock lock;
  private final TrainedRolloutLog trainedLog;
  private final TrainedRolloutLog staleLog;
  private final Map<Integer, Long> resumeOffsets;
  private Map<Integer, Long> checkpointedOffsets;
  private final CreditedRecordCheck recordCheck;
  private final GroupBuffer groups;
  private final DedupMemory dedup;
  private final StalenessBound staleness;
  private final TrainerCounters counters;
  private Checkpoint latestCheckpoint;
  private TrainStepResult lastResult;
  private double lastHeldOutAccuracy = Double.NaN;

  private TrainerCore(
      TrainablePolicy policy,
      CheckpointStore store,
      ProgressStore progressStore,
      TrainerOptions options,
      StoreLock lock,
      TrainedRolloutLog trainedLog,
      TrainedRolloutLog staleLog,
      Checkpoint checkpoint,
      TrainerProgress progress) {
    this.policy = policy;
    this.store = store;
    this.progressStore = progressStore;
    this.options = options;
    this.lock = lock;
    this.trainedLog = trainedLog;
    this.staleLog = staleLog;
    this.latestCheckpoint = checkpoint;
    this.dedup =
        new DedupMemory(
            progress.nextOffsets(), progress.trainedGroups(), options.dedupMemoryGroups());
    this.resumeOffsets = Map.copyOf(new TreeMap<>(progress.nextOffsets()));
    this.checkpointedOffsets = resumeOffsets;
    this.counters = TrainerCounters.restore(progress.counters());
    this.staleness =
        new StalenessBound(options.stalenessBound(), options.stalenessMode(), staleLog, counters);
    this.recordCheck =
        new CreditedRecordCheck(policy, options.maxAbsAdvantage(), options.minLogProb());
    this.groups = GroupBuffer.restore(progress.pendingRecords(), progress.rejectedMembers());
  }

  /**
   * {@link #open(CheckpointStore, Path, Path, TrainerOptions)} with the trained-rollouts log in the
   * store's root ({@value #TRAINED_ROLLOUTS_FILE}).
   */
  public static TrainerCore open(CheckpointStore store, Path progressDir, TrainerOptions options)
      throws IOException {
    return open(store, progressDir, store.root().resolve(TRAINED_ROLLOUTS_FILE), options);
  }

  /**
   * Takes the store's writer lock, deletes what killed writes left behind, loads the newest
   * checkpoint that verifies (newer corrupt ones are set aside) and the progress written with it,
   * and deletes progress files of versions that are not in the store (interrupted writes,
   * retention).
   *
   * @param progressDir directory of the progress files (e.g. beside the checkpoint store)
   * @param trainedLog the trained-rollouts log (TSV) to append to
   * @throws dev.rredcot.model.checkpoint.StoreLockedException when another trainer holds the store
   * @throws IllegalStateException when the store holds no checkpoint, or a checkpoint a trainer
   *     wrote has lost its progress file (resuming would retrain from offset 0)
   */
  public static TrainerCore open(
      CheckpointStore store, Path progressDir, Path trainedLog, TrainerOptions options)
      throws IOException {
    Objects.requireNonNull(options, "options");
    StoreLock lock = store.lock();
    TrainedRolloutLog log = null;
    TrainedRolloutLog staleLog = null;
    try {
      store.deleteLeftovers(lock);
      ProgressStore progressStore = new ProgressStore(progressDir);
      progressStore.deleteLeftovers();
      Checkpoint checkpoint =
          store
              .latestVerified(lock)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "checkpoint store "
                              + store.root()
                              + " is empty: write the initial policy as version 0 first"));
      progressStore.retainOnly(store.versions());
      Optional<TrainerProgress> saved = progressStore.read(checkpoint.version());
      if (saved.isEmpty() && checkpoint.parentVersion() != null) {
        throw new IllegalStateException(
            "checkpoint v"
                + checkpoint.version()
                + " was written by a trainer but its progress file "
                + progressStore.file(checkpoint.version())
                + " is missing; refusing to retrain from offset 0 (restore the progress"
                + " directory, or pass the one this store was trained with)");
      }
      TrainerProgress progress = saved.orElse(TrainerProgress.empty(checkpoint.version()));
      log = TrainedRolloutLog.open(trainedLog, checkpoint.version());
      staleLog =
          TrainedRolloutLog.open(
              trainedLog.toAbsolutePath().resolveSibling(STALE_ROLLOUTS_FILE),
              checkpoint.version());
      TrainablePolicy policy = PolicyCheckpoints.load(checkpoint);
      try {
        options.trainOptions().requireReferenceReads(policy.tokenizer());
        LOG.info(
            "trainer resumes at version {} with offsets {}, {} pending records, {} trained groups"
                + " remembered",
            checkpoint.version(),
            progress.nextOffsets(),
            progress.pendingRecords().size(),
            progress.trainedGroups().size());
        return new TrainerCore(
            policy, store, progressStore, options, lock, log, staleLog, checkpoint, progress);
      } catch (RuntimeException | Error e) {
        // A reference the policy's tokenizer cannot read, or a progress file that does not
        // restore (a corrupt pending record): the core never owned the policy, so close it here.
        policy.close();
        throw e;
      }
    } catch (IOException | RuntimeException | Error e) {
      if (log != null) {
        log.close();
      }
      if (staleLog != null) {
        staleLog.close();
      }
      lock.close();
      throw e;
    }
  }

  /**
   * Offsets (partition to next offset) to seek to after {@link #open}; partitions not listed were
   * never read and start at their beginning.
   */
  public Map<Integer, Long> resumeOffsets() {
    return resumeOffsets;
  }

  /**
   * Next offset per partition as of the latest checkpoint's progress: the records before them are
   * trained, dropped or kept in that progress, so a restart never reads them again.
   */
  public Map<Integer, Long> checkpointedOffsets() {
    return checkpointedOffsets;
  }

  /** The settings this core trains with. */
  public TrainerOptions options() {
    return options;
  }

  /** The current policy (owned by this core; do not close it). */
  public TrainablePolicy policy() {
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
    if (!dedup.consume(partition, offset)) {
      return ignoredDuplicate("offset " + offset + " of partition " + partition + " consumed");
    }
    counters.increment(ROLLOUTS_CONSUMED, 1);
    Optional<Rejection> invalid = recordCheck.check(record);
    if (invalid.isPresent()) {
      return rejectMember(record, invalid.get());
    }
    CreditedRollout buffered = groups.buffered(record.getGroupId(), record.getSampleIndex());
    if (buffered != null && !sameContent(buffered, record)) {
      // Same sample of the same group with other tokens, log-probs or reward: one of them is not
      // what its id says; neither wins silently.
      return invalid(
          record,
          new Rejection(
              "conflicting-duplicate",
              "rollout "
                  + record.getRolloutId()
                  + " differs from the buffered "
                  + buffered.getRolloutId()
                  + " of the same group and sample index"));
    }
    if (dedup.wasTrained(record.getGroupId()) || buffered != null) {
      return ignoredDuplicate("rollout " + record.getRolloutId() + " seen already");
    }
    Optional<String> stale = staleness.dropOnArrival(record, policy.version());
    if (stale.isPresent()) {
      return new OfferResult(Disposition.STALE, "stale", stale.get(), List.of());
    }
    Optional<Rejection> disagreement = groups.disagreement(record);
    if (disagreement.isPresent()) {
      return rejectMember(record, disagreement.get());
    }
    groups.add(record);
    return new OfferResult(Disposition.ACCEPTED, "", "", trainFullBatches());
  }

  /** Counts a record seen before and says so: it changes nothing else. */
  private OfferResult ignoredDuplicate(String detail) {
    counters.increment(DUPLICATES_IGNORED, 1);
    return new OfferResult(Disposition.DUPLICATE, "duplicate", detail, List.of());
  }

  /**
   * Notes a record read at {@code offset} of {@code partition} that could not even be decoded and
   * goes to dead letters for {@code reasonLabel}, so that its offset counts as consumed.
   *
   * @return false when the offset was consumed already (the dead letter was sent before)
   */
  public boolean reject(int partition, long offset, String reasonLabel) {
    if (!dedup.consume(partition, offset)) {
      counters.increment(DUPLICATES_IGNORED, 1);
      return false;
    }
    counters.increment(ROLLOUTS_CONSUMED, 1);
    counters.deadLetters(reasonLabel, 1);
    return true;
  }

  /**
   * Sends a member of a group to dead letters and counts it towards its group, which may complete
   * the group (and trigger steps).
   */
  private OfferResult rejectMember(CreditedRollout record, Rejection rejection) throws IOException {
    OfferResult rejected = invalid(record, rejection);
    if (dedup.wasTrained(record.getGroupId())) {
      return rejected;
    }
    if (!groups.countRejected(record)) {
      return rejected;
    }
    return new OfferResult(
        rejected.disposition(), rejected.reasonLabel(), rejected.reason(), trainFullBatches());
  }

  /** Trains batches of B ready groups while there are B; returns the steps taken. */
  private List<TrainedStep> trainFullBatches() throws IOException {
    List<TrainedStep> steps = new ArrayList<>();
    while (groups.readyCount() >= options.batchGroups()) {
      TrainedStep step = trainOneBatch();
      if (step != null) {
        steps.add(step);
      }
    }
    return steps;
  }

  private static boolean sameContent(CreditedRollout a, CreditedRollout b) {
    return a.getRolloutId().equals(b.getRolloutId())
        && a.getPolicyVersion() == b.getPolicyVersion()
        && a.getTokenIds().equals(b.getTokenIds())
        && a.getLogProbs().equals(b.getLogProbs())
        && a.getReward() == b.getReward();
  }

  private OfferResult invalid(CreditedRollout record, Rejection rejection) {
    counters.increment(INVALID_RECORDS, 1);
    counters.deadLetters(rejection.label(), 1);
    LOG.error(
        "credited rollout {} goes to dead letters ({}): {}",
        record.getRolloutId(),
        rejection.label(),
        rejection.message());
    return new OfferResult(Disposition.INVALID, rejection.label(), rejection.message(), List.of());
  }

  /** Current counters and last-step figures. */
  public TrainerStats stats() {
    return counters.stats(policy.version(), groups.pendingCount(), lastResult, lastHeldOutAccuracy);
  }

  /** Closes the policy and the trained-rollouts log and releases the store's lock. */
  @Override
  public void close() {
    try (StoreLock heldLock = lock;
        TrainedRolloutLog log = trainedLog;
        TrainedRolloutLog stale = staleLog) {
      policy.close();
    } catch (IOException e) {
      LOG.warn("closing the trainer's files failed: {}", e.toString());
    }
  }

  /**
   * Trains on the complete groups there are (at most B) even if fewer than B, as the trainer does
   * when no record came for {@link TrainerOptions#partialBatchAfterMs}; empty when none is
   * complete.
   *
   * @throws IOException when a checkpoint or progress file cannot be written
   */
  public List<TrainedStep> trainPartialBatch() throws IOException {
    if (groups.readyCount() == 0) {
      return List.of();
    }
    TrainedStep step = trainOneBatch(1);
    return step == null ? List.of() : List.of(step);
  }

  /** Trains on the first B ready groups (after dropping stale ones); null when no step ran. */
  private TrainedStep trainOneBatch() throws IOException {
    return trainOneBatch(options.batchGroups());
  }

  /** Trains on up to B ready groups if at least {@code minGroups} are ready (after staleness). */
  private TrainedStep trainOneBatch(int minGroups) throws IOException {
    dropStalePendingGroups();
    if (groups.readyCount() < minGroups) {
      return null;
    }
    List<GroupBuffer.Group> taken = groups.takeReady(options.batchGroups());
    for (GroupBuffer.Group group : taken) {
      dedup.rememberTrained(group.groupId(), group.behaviourVersion());
    }
    TrainingBatch batch = TrainingBatch.of(taken, policy.version());
    if (batch.zeroSignalGroups() > 0) {
      counters.increment(ZERO_SIGNAL_GROUPS, batch.zeroSignalGroups());
    }
    if (batch.examples().isEmpty()) {
      // Nothing to learn from: the groups count as consumed, and the next checkpoint's progress
      // records them; a crash before it replays them, which again trains nothing.
      return null;
    }
    TrainStepResult result;
    try {
      result = policy.trainStep(batch.examples(), options.trainOptions());
    } catch (NonFiniteStepException e) {
      refuse(batch.groupIds(), batch.rolloutIds(), e);
      return null;
    }
    lastResult = result;
    counters.increment(STEPS, 1);
    counters.increment(ROLLOUTS_TRAINED, batch.rolloutIds().size());
    long parent = policy.version();
    long version = parent + 1;
    Map<String, Double> metrics = batch.stepMetrics(result, parent);
    // Audit lines, then progress, then the checkpoint: a checkpoint always has both; lines and a
    // progress file without their checkpoint are an interrupted step that open() removes.
    trainedLog.append(version, batch.records());
    progressStore.write(progress(version));
    Checkpoint checkpoint = policy.save(store, version, parent, metrics);
    latestCheckpoint = checkpoint;
    checkpointedOffsets = Map.copyOf(dedup.nextOffsets());
    progressStore.retainOnly(store.versions());
    EvaluationResult evaluation = null;
    if (options.evaluator() != null && version % options.evaluateEveryVersions() == 0) {
      evaluation = options.evaluator().evaluate(policy);
      lastHeldOutAccuracy = evaluation.sampledAccuracy();
    }
    LOG.info(
        "step -> v{}: {} groups, {} traces, loss {}, kl {}, clip {}",
        version,
        batch.groupIds().size(),
        batch.examples().size(),
        String.format("%.4f", result.loss()),
        String.format("%.4f", result.kl()),
        String.format("%.3f", result.clipFraction()));
    return new TrainedStep(checkpoint, batch.groupIds(), batch.rolloutIds(), result, evaluation);
  }

  /**
   * Accounts for a batch whose step was refused: its rollouts count as dead letters by the step's
   * reason, and the current version's progress is written again (the policy did not change) with
   * the batch consumed, so that a restart does not hand the same batch to the same policy, which
   * would refuse it again on every start.
   */
  private void refuse(List<String> groupIds, List<String> rolloutIds, NonFiniteStepException e)
      throws IOException {
    counters.deadLetters(e.reasonLabel(), rolloutIds.size());
    LOG.error(
        "step on {} groups {} refused ({}): {}; their {} rollouts count as dead letters, policy"
            + " stays at v{}",
        groupIds.size(),
        groupIds,
        e.reasonLabel(),
        e.getMessage(),
        rolloutIds.size(),
        policy.version());
    progressStore.write(progress(policy.version()));
    checkpointedOffsets = Map.copyOf(dedup.nextOffsets());
  }

  private void dropStalePendingGroups() throws IOException {
    if (!staleness.dropsPendingGroups()) {
      return;
    }
    for (GroupBuffer.Group group : groups.pendingGroups()) {
      long behaviourVersion = group.behaviourVersion();
      if (staleness.isStale(behaviourVersion, policy.version())) {
        staleness.dropPending(group.members(), policy.version());
        groups.discard(group.groupId());
        LOG.info(
            "dropped stale group {} (version {}, policy at {})",
            group.groupId(),
            behaviourVersion,
            policy.version());
      }
    }
  }

  private TrainerProgress progress(long version) {
    return new TrainerProgress(
        version,
        dedup.nextOffsets(),
        groups.encodedRecords(),
        dedup.trainedGroups(),
        counters.asMap(),
        groups.rejectedMembers());
  }
}
