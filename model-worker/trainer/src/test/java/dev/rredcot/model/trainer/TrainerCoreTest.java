package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerFixtures.group;
import static dev.rredcot.model.trainer.TrainerFixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.StoreLockedException;
import dev.rredcot.model.loading.CheckpointAnnouncement;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.policy.PolicyFaults;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.model.trainer.TrainerCore.Disposition;
import dev.rredcot.model.trainer.TrainerCore.OfferResult;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerCoreTest {

  @TempDir Path dir;
  private CheckpointStore store;

  @BeforeEach
  void writeInitialPolicy() throws IOException {
    store = new CheckpointStore(dir.resolve("checkpoints"), 5);
    TrainerFixtures.writeInitialPolicy(store);
  }

  private TrainerCore open(TrainerOptions options) throws IOException {
    return TrainerCore.open(store, dir.resolve("progress"), options);
  }

  private static TrainerOptions batchOf(int groups) {
    return TrainerOptions.builder().optBatchGroups(groups).build();
  }

  /** Offers records on partition 0 from offset {@code first}; returns every step triggered. */
  private static List<TrainedStep> offerAll(
      TrainerCore core, List<CreditedRollout> records, long first) throws IOException {
    List<TrainedStep> steps = new ArrayList<>();
    long offset = first;
    for (CreditedRollout record : records) {
      steps.addAll(core.offer(record, 0, offset++).steps());
    }
    return steps;
  }

  @Test
  void aGroupWhoseCreditedCountIsBelowItsArrivedCountTrainsWithItsSurvivors() throws IOException {
    // Four samples arrived at the credit job, one became a dead letter there: three credited.
    try (TrainerCore core = open(batchOf(1))) {
      List<CreditedRollout> survivors = new ArrayList<>();
      for (int index : new int[] {0, 1, 3}) {
        CreditedRollout record = rollout("p", 0, index, 4);
        record.setCreditedCount(3);
        survivors.add(record);
      }
      List<TrainedStep> steps = offerAll(core, survivors, 0);
      assertEquals(1, steps.size(), "the group completes at its credited count");
      assertEquals(List.of("p@v0#0/0", "p@v0#0/1", "p@v0#0/3"), steps.get(0).rolloutIds());
      assertEquals(0, core.stats().pendingGroups());
    }
  }

  @Test
  void aMemberTheTrainerDeadLettersCountsTowardsItsGroup() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      assertTrue(
          offerAll(core, List.of(rollout("p", 0, 0, 3), rollout("p", 0, 1, 3)), 0).isEmpty());
      OfferResult poisoned = core.offer(withAdvantage(rollout("p", 0, 2, 3), Float.NaN), 0, 2);
      assertEquals(Disposition.INVALID, poisoned.disposition());
      assertEquals(1, poisoned.steps().size(), "the rest of the group is trained");
      assertEquals(List.of("p@v0#0/0", "p@v0#0/1"), poisoned.steps().get(0).rolloutIds());
    }
  }

  @Test
  void aDeadLetteredMemberStillCountsAfterARestart() throws IOException {
    try (TrainerCore first = open(batchOf(2))) {
      offerAll(first, group("a", 0, 2), 0);
      first.offer(withAdvantage(rollout("b", 0, 0, 2), Float.NaN), 0, 2);
      // A step of another batch writes a checkpoint with the progress so far.
      first.offer(rollout("c", 0, 0, 1), 0, 3);
      assertEquals(1, first.policy().version());
    }
    try (TrainerCore second = open(batchOf(1))) {
      OfferResult last = second.offer(rollout("b", 0, 1, 2), 0, 4);
      assertEquals(1, last.steps().size(), "b completes with its one trainable member");
      assertEquals(List.of("b@v0#0/1"), last.steps().get(0).rolloutIds());
    }
  }

  @Test
  void aRepeatedRolloutIdWithOtherContentIsAConflictingDuplicate() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      core.offer(rollout("p", 0, 0, 3), 0, 0);
      CreditedRollout other = rollout("p", 0, 0, 3);
      other.setReward(0.25);
      OfferResult result = core.offer(other, 0, 1);
      assertEquals(Disposition.INVALID, result.disposition());
      assertEquals("conflicting-duplicate", result.reasonLabel());
      assertEquals(
          1L, core.stats().deadLettersByReason().getOrDefault("conflicting-duplicate", 0L));
      OfferResult same = core.offer(rollout("p", 0, 0, 3), 0, 2);
      assertEquals(Disposition.DUPLICATE, same.disposition(), "an identical copy is a duplicate");
    }
  }

  @Test
  void aPartialBatchTrainsTheCompleteGroupsThereAre() throws IOException {
    try (TrainerCore core = open(batchOf(4))) {
      assertTrue(offerAll(core, group("a", 0, 2), 0).isEmpty(), "one group of four");
      core.offer(rollout("b", 0, 0, 2), 0, 2);
      List<TrainedStep> steps = core.trainPartialBatch();
      assertEquals(1, steps.size());
      assertEquals(List.of("a@v0#0"), steps.get(0).groupIds());
      assertEquals(1, core.stats().pendingGroups(), "the incomplete group still waits");
      assertTrue(core.trainPartialBatch().isEmpty(), "nothing complete is left");
    }
  }

  @Test
  void refusesToOpenAnEmptyStore() {
    CheckpointStore empty = new CheckpointStore(dir.resolve("empty"), 3);
    assertThrows(
        IllegalStateException.class, () -> TrainerCore.open(empty, dir.resolve("p"), batchOf(1)));
  }

  @Test
  void ignoresASecondCopyOfARolloutInAPendingGroup() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      CreditedRollout first = rollout("p1", 0, 0, 4);
      assertEquals(Disposition.ACCEPTED, core.offer(first, 0, 0).disposition());
      OfferResult again = core.offer(first, 0, 1);
      assertEquals(Disposition.DUPLICATE, again.disposition());
      assertEquals(1, core.stats().duplicatesIgnored());
      assertEquals(1, core.stats().pendingGroups());
    }
  }

  @Test
  void ignoresARolloutOfAGroupAlreadyTrained() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      List<TrainedStep> steps = offerAll(core, group("p1", 0, 2), 0);
      assertEquals(1, steps.size());
      OfferResult replay = core.offer(rollout("p1", 0, 1, 2), 0, 2);
      assertEquals(Disposition.DUPLICATE, replay.disposition());
      assertTrue(replay.steps().isEmpty());
      assertEquals(1, core.stats().steps());
      assertEquals(1, core.stats().duplicatesIgnored());
    }
  }

  @Test
  void pastItsCapTheDedupMemoryForgetsTheOldestGroupsFirstAcrossRestarts() throws IOException {
    TrainerOptions options =
        TrainerOptions.builder()
            .optBatchGroups(1)
            .optDedupMemoryGroups(3)
            .optStaleness(100, StalenessMode.DROP)
            .build();
    // Trained in an order that is neither sorted nor a hash order.
    List<String> prompts = List.of("q9", "q1", "q7", "q3", "q5");
    long offset = 0;
    try (TrainerCore first = open(options)) {
      for (String prompt : prompts) {
        assertEquals(1, offerAll(first, group(prompt, 0, 2), offset).size());
        offset += 2;
      }
    }
    // Remembered: q7, q3, q5. Restarted, one more group pushes out the oldest of them, q7.
    try (TrainerCore second = open(options)) {
      assertEquals(1, offerAll(second, group("q2", 0, 2), offset).size());
      offset += 2;
      for (String remembered : List.of("q3", "q5", "q2")) {
        OfferResult redelivered = second.offer(rollout(remembered, 0, 0, 2), 0, offset++);
        assertEquals(Disposition.DUPLICATE, redelivered.disposition(), remembered);
      }
      for (String forgotten : List.of("q7", "q9", "q1")) {
        OfferResult redelivered = second.offer(rollout(forgotten, 0, 0, 2), 0, offset++);
        assertEquals(Disposition.ACCEPTED, redelivered.disposition(), forgotten);
      }
    }
  }

  @Test
  void ignoresAnOffsetAlreadyConsumed() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      core.offer(rollout("p1", 0, 0, 2), 3, 10);
      OfferResult redelivered = core.offer(rollout("p2", 0, 0, 2), 3, 10);
      assertEquals(Disposition.DUPLICATE, redelivered.disposition());
      assertEquals(1, core.stats().pendingGroups());
    }
  }

  @Test
  void dropsRolloutsMoreThanStalenessBoundVersionsBehind() throws IOException {
    TrainerOptions options =
        TrainerOptions.builder().optBatchGroups(1).optStaleness(1, StalenessMode.DROP).build();
    try (TrainerCore core = open(options)) {
      offerAll(core, group("a", 0, 2), 0);
      offerAll(core, group("b", 1, 2), 2);
      assertEquals(2, core.policy().version());
      // Version 0 is 2 behind, more than S = 1; version 1 is exactly 1 behind and kept.
      assertEquals(Disposition.STALE, core.offer(rollout("c", 0, 0, 2), 0, 4).disposition());
      assertEquals(Disposition.ACCEPTED, core.offer(rollout("d", 1, 0, 2), 0, 5).disposition());
      assertEquals(1, core.stats().staleDropped());
      assertEquals(Map.of("dropped-on-arrival", 1L), core.stats().staleByReason());
    }
    List<String> staleLines =
        Files.readAllLines(dir.resolve("checkpoints").resolve(TrainerCore.STALE_ROLLOUTS_FILE));
    assertEquals(List.of(TrainedRolloutLog.HEADER, "2\tc@v0#0/0\tc@v0#0\t0"), staleLines);
  }

  @Test
  void dropsAPendingGroupThatBecameStaleWhileWaiting() throws IOException {
    TrainerOptions options =
        TrainerOptions.builder().optBatchGroups(1).optStaleness(0, StalenessMode.DROP).build();
    try (TrainerCore core = open(options)) {
      core.offer(rollout("slow", 0, 0, 2), 0, 0);
      offerAll(core, group("fast", 0, 2), 1);
      assertEquals(1, core.policy().version());
      // The slow group's last sample completes it, but version 0 is now stale (S = 0).
      OfferResult last = core.offer(rollout("slow", 0, 1, 2), 0, 3);
      assertEquals(Disposition.STALE, last.disposition());
      assertTrue(last.steps().isEmpty());
      core.offer(rollout("other", 1, 0, 2), 0, 4);
      core.offer(rollout("other", 1, 1, 2), 0, 5);
      assertEquals(2, core.policy().version());
      assertEquals(2, core.stats().staleDropped(), "the buffered sample and the late one");
      assertEquals(
          Map.of("dropped-while-pending", 1L, "dropped-on-arrival", 1L),
          core.stats().staleByReason());
      assertEquals(0, core.stats().pendingGroups());
    }
  }

  @Test
  void importanceWeightModeTrainsOnStaleRollouts() throws IOException {
    TrainerOptions options =
        TrainerOptions.builder()
            .optBatchGroups(1)
            .optStaleness(0, StalenessMode.IMPORTANCE_WEIGHT)
            .build();
    try (TrainerCore core = open(options)) {
      offerAll(core, group("a", 0, 2), 0);
      List<TrainedStep> steps = offerAll(core, group("b", 0, 2), 2);
      assertEquals(1, steps.size());
      assertEquals(2, core.stats().staleKept());
      assertEquals(0, core.stats().staleDropped());
    }
  }

  @Test
  void rolloutsWithinTheStalenessBoundAreTrainedAndOnlyThoseBeyondItAreStale() throws IOException {
    // Default options: S = 4. Groups sampled at v0 are trained at v0, v1, ..., v4; the sixth one
    // arrives when the policy is at v5, five versions behind, and is dropped.
    assertEquals(4, TrainerOptions.DEFAULT_STALENESS_BOUND);
    try (TrainerCore core = open(batchOf(1))) {
      List<TrainedStep> steps = new ArrayList<>();
      long offset = 0;
      for (String prompt : List.of("a", "b", "c", "d", "e")) {
        steps.addAll(offerAll(core, group(prompt, 0, 2), offset));
        offset += 2;
      }
      assertEquals(5, steps.size(), "every group within the bound trains");
      for (int i = 0; i < steps.size(); i++) {
        Map<String, Double> metrics = steps.get(i).checkpoint().metrics();
        assertEquals(i, metrics.get("behaviour_lag_max_versions"), "step " + i);
        assertTrue(metrics.get("importance_weight_mean") > 0);
      }
      OfferResult late = core.offer(rollout("f", 0, 0, 2), 0, offset++);
      assertEquals(Disposition.STALE, late.disposition());
      TrainerStats stats = core.stats();
      assertEquals(10, stats.rolloutsTrained());
      assertEquals(1, stats.staleDropped());
      assertEveryRolloutAccounted(stats);
    }
  }

  @Test
  void aGroupWhoseWrongMemberClaimsMinus200OnEveryTokenTrainsAndTrainingGoesOn()
      throws IOException {
    // -200 passes the contract (log-probs >= -1000); exp(200) overflows a float.
    try (TrainerCore core = open(batchOf(1))) {
      CreditedRollout wrong = withLogProbs(rollout("p", 0, 1, 2), -200f);
      List<TrainedStep> steps = offerAll(core, List.of(rollout("p", 0, 0, 2), wrong), 0);
      assertEquals(1, steps.size());
      Map<String, Double> metrics = steps.get(0).checkpoint().metrics();
      assertTrue(Double.isFinite(metrics.get("loss")), "loss " + metrics.get("loss"));
      assertEquals(0.5, metrics.get("log_ratio_clamped_fraction"), 1e-9, "the wrong half");
      assertEquals(1, core.policy().version());
      steps = offerAll(core, group("q", 1, 2), 2);
      assertEquals(1, steps.size(), "training goes on");
      assertTrue(Double.isFinite(steps.get(0).result().loss()));
      assertEveryRolloutAccounted(core.stats());
    }
  }

  @Test
  void theKlPenaltyHoldsThePolicyNearItsReference() throws IOException {
    // The reference is the policy training starts from; a vanishing weight reports the KL the
    // steps reach without pulling.
    double free = klAfterSteps(1e-9, 10);
    double held = klAfterSteps(1.0, 10);
    assertTrue(free > 1e-4, "training moves the policy away from its start: KL " + free);
    assertTrue(held < 0.5 * free, "KL with the penalty " + held + " against " + free);
  }

  /** The KL to the initial policy reported by the last of {@code steps} steps. */
  private double klAfterSteps(double coefficient, int steps) throws IOException {
    CheckpointStore own = new CheckpointStore(dir.resolve("kl-" + coefficient), 3);
    TrainerFixtures.writeInitialPolicy(own);
    try (Policy reference = Policy.load(own.latest().orElseThrow())) {
      TrainerOptions options =
          TrainerOptions.builder()
              .optBatchGroups(1)
              .optTrainOptions(
                  PolicyUpdateOptions.builder()
                      .optLearningRate(1e-2)
                      .optKlPenalty(coefficient, reference)
                      .build())
              .build();
      double kl = Double.NaN;
      try (TrainerCore core =
          TrainerCore.open(own, dir.resolve("kl-progress-" + coefficient), options)) {
        for (int v = 0; v < steps; v++) {
          List<TrainedStep> trained = offerAll(core, group("p" + v, v, 2), 2L * v);
          assertEquals(1, trained.size());
          kl = trained.get(0).result().kl();
        }
      }
      return kl;
    }
  }

  @Test
  void aKlReferenceWithAnotherTokenizerIsRefused() throws IOException {
    CharTokenizer countdown = CharTokenizer.countdown();
    try (Policy reference =
        Policy.create(TrainerFixtures.tinyConfig(countdown.vocabSize()), countdown, 5)) {
      TrainerOptions options =
          TrainerOptions.builder()
              .optTrainOptions(PolicyUpdateOptions.builder().optKlPenalty(0.1, reference).build())
              .build();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> open(options));
      assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
    }
  }

  @Test
  void aBatchWithANonFiniteGradientIsRefusedCountedAndNotRetriedAfterARestart() throws IOException {
    // A policy whose position embeddings from 40 on are NaN: a group with a long prompt reaches
    // them and has a NaN gradient; the fixture's short groups do not.
    store = new CheckpointStore(dir.resolve("poisoned"), 5);
    TrainerFixtures.writeInitialPolicy(store, p -> PolicyFaults.poisonPositionsFrom(p, 40));
    List<CreditedRollout> longGroup = group("long", 0, 2);
    for (CreditedRollout record : longGroup) {
      record.setPromptText("Q: " + "1+".repeat(15) + "1\n");
    }
    try (TrainerCore core = open(batchOf(1))) {
      OfferResult completing = core.offer(longGroup.get(0), 0, 0);
      assertTrue(completing.steps().isEmpty());
      OfferResult refused = core.offer(longGroup.get(1), 0, 1);
      assertEquals(Disposition.ACCEPTED, refused.disposition(), "the record itself was fine");
      assertTrue(refused.steps().isEmpty(), "no step was taken");
      assertEquals(0, core.policy().version());
      assertEquals(Map.of("non-finite-gradient", 2L), core.stats().deadLettersByReason());
      assertEquals(0, core.stats().pendingGroups());
      assertEquals(Map.of(0, 2L), core.checkpointedOffsets(), "the refusal is in the progress");
      assertEveryRolloutAccounted(core.stats());
    }
    // A crash right after the refusal: the restarted trainer neither retries nor recounts it.
    try (TrainerCore core = open(batchOf(1))) {
      assertEquals(Map.of(0, 2L), core.resumeOffsets());
      assertEquals(0, core.stats().pendingGroups());
      assertEquals(Map.of("non-finite-gradient", 2L), core.stats().deadLettersByReason());
      // The consumer seeks past the refused group; a copy of it on another partition is a
      // duplicate, not a second refusal.
      OfferResult redelivered = core.offer(longGroup.get(1), 1, 0);
      assertEquals(Disposition.DUPLICATE, redelivered.disposition(), "its group was consumed");
      List<TrainedStep> steps = offerAll(core, group("short", 0, 2), 2);
      assertEquals(1, steps.size(), "training goes on");
      assertEquals(1, core.policy().version());
      assertEveryRolloutAccounted(core.stats());
    }
  }

  /**
   * Every record read is trained, stale, a dead letter or a duplicate, once (nothing is pending in
   * the tests that call this).
   */
  private static void assertEveryRolloutAccounted(TrainerStats stats) {
    assertEquals(0, stats.pendingGroups());
    assertEquals(
        stats.rolloutsConsumed(),
        stats.rolloutsTrained()
            + stats.staleDropped()
            + stats.deadLetters()
            + stats.duplicatesIgnored());
  }

  @Test
  void trainsOnlyWhenBatchGroupsCompleteGroupsArrived() throws IOException {
    try (TrainerCore core = open(batchOf(2))) {
      List<CreditedRollout> records = new ArrayList<>();
      records.addAll(group("a", 0, 3));
      records.add(rollout("b", 0, 0, 3));
      records.add(rollout("b", 0, 1, 3));
      assertTrue(offerAll(core, records, 0).isEmpty(), "one complete and one partial group");
      OfferResult completing = core.offer(rollout("b", 0, 2, 3), 0, 5);
      assertEquals(1, completing.steps().size());
      TrainedStep step = completing.steps().get(0);
      assertEquals(List.of("a@v0#0", "b@v0#0"), step.groupIds());
      assertEquals(6, step.rolloutIds().size());
      assertEquals(1, step.checkpoint().version());
      assertEquals(1, core.policy().version());
      assertEquals(0L, step.checkpoint().parentVersion());
      assertEquals(6, core.stats().rolloutsTrained());
      assertTrue(Double.isFinite(core.stats().lastLoss()));
    }
  }

  @Test
  void groupWithZeroAdvantagesEverywhereIsConsumedWithoutAStep() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      List<TrainedStep> steps = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        steps.addAll(core.offer(rollout("same", 0, i, 3, 0f), 0, i).steps());
      }
      assertTrue(steps.isEmpty());
      assertEquals(1, core.stats().zeroSignalGroups());
      assertEquals(0, core.policy().version());
      assertEquals(0, core.stats().pendingGroups());
    }
  }

  @Test
  void rejectsRecordWhoseAdvantagesDoNotCoverItsTokens() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      CreditedRollout record = rollout("p", 0, 0, 2);
      record.setTokenAdvantages(List.of(1f));
      OfferResult result = core.offer(record, 0, 0);
      assertEquals(Disposition.INVALID, result.disposition());
      assertTrue(result.reason().contains("same length"), result.reason());
      assertEquals(1, core.stats().invalidRecords());
      assertEquals(0, core.stats().pendingGroups());
    }
  }

  @Test
  void rejectsRecordThatDoesNotFitTheModelContext() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      CreditedRollout record = rollout("p", 0, 0, 2);
      record.setPromptText("Q: " + "1+".repeat(60) + "1\n");
      OfferResult result = core.offer(record, 0, 0);
      assertEquals(Disposition.INVALID, result.disposition());
      assertTrue(result.reason().contains("maxContext"), result.reason());
    }
  }

  @Test
  void rejectsRecordWithATokenOutsideTheVocabulary() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      CreditedRollout record = rollout("p", 0, 0, 2);
      List<Integer> tokens = new ArrayList<>(record.getTokenIds());
      tokens.set(0, 999);
      record.setTokenIds(tokens);
      assertEquals(Disposition.INVALID, core.offer(record, 0, 0).disposition());
    }
  }

  @Test
  void announcementCarriesTheCheckpointIdentity() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      TrainedStep step = offerAll(core, group("p", 0, 2), 0).get(0);
      PolicyCheckpoint announcement =
          CheckpointAnnouncement.of(step.checkpoint(), Map.of("heldout_accuracy", 0.5));
      assertEquals(1, announcement.getVersion());
      assertEquals(0L, announcement.getParentVersion());
      assertEquals(step.checkpoint().manifestSha256(), announcement.getManifestSha256());
      assertEquals(step.checkpoint().uri().toString(), announcement.getUri());
      assertEquals(0.5, announcement.getMetrics().get("heldout_accuracy"));
      assertNotNull(announcement.getMetrics().get("loss"));
    }
  }

  @Test
  void restartFromTheLatestCheckpointNeitherRetrainsNorSkips() throws IOException {
    // Groups of 2 whose samples interleave (g0s0, g1s0, g0s1, g2s0, g1s1, ...), so a group is
    // always half-read when a step is taken; spread over two partitions; batches of 2 groups.
    List<CreditedRollout> records = new ArrayList<>();
    for (int g = 0; g < 7; g++) {
      records.add(rollout("p" + g, 0, 0, 2));
      if (g > 0) {
        records.add(rollout("p" + (g - 1), 0, 1, 2));
      }
    }
    records.add(rollout("p6", 0, 1, 2));
    List<int[]> positions = new ArrayList<>(); // {partition, offset}
    long[] nextOffset = new long[2];
    for (int i = 0; i < records.size(); i++) {
      int partition = (i / 3) % 2;
      positions.add(new int[] {partition, (int) nextOffset[partition]++});
    }
    Map<String, Integer> trainedCount = new HashMap<>();
    int crashAfter = 11; // records offered before the "crash" (some read after the last step)
    long versionBeforeCrash;
    try (TrainerCore first =
        open(
            TrainerOptions.builder()
                .optBatchGroups(2)
                .optStaleness(10, StalenessMode.DROP)
                .build())) {
      for (int i = 0; i < crashAfter; i++) {
        for (TrainedStep step :
            first.offer(records.get(i), positions.get(i)[0], positions.get(i)[1]).steps()) {
          step.rolloutIds().forEach(id -> trainedCount.merge(id, 1, Integer::sum));
        }
      }
      versionBeforeCrash = first.policy().version();
      assertTrue(versionBeforeCrash >= 2, "the first trainer took steps before the crash");
    }
    try (TrainerCore second =
        open(
            TrainerOptions.builder()
                .optBatchGroups(2)
                .optStaleness(10, StalenessMode.DROP)
                .build())) {
      assertEquals(versionBeforeCrash, second.policy().version());
      assertEquals(1, second.stats().pendingGroups(), "the half-read group is restored");
      Map<Integer, Long> resume = second.resumeOffsets();
      // A consumer seeks to the resume offsets (partitions not listed start at 0) and re-reads.
      for (int i = 0; i < records.size(); i++) {
        int partition = positions.get(i)[0];
        long offset = positions.get(i)[1];
        if (offset < resume.getOrDefault(partition, 0L)) {
          continue;
        }
        for (TrainedStep step : second.offer(records.get(i), partition, offset).steps()) {
          step.rolloutIds().forEach(id -> trainedCount.merge(id, 1, Integer::sum));
        }
      }
      // 7 groups, batches of 2: 6 groups trained, the 7th waits for a partner.
      assertEquals(12, trainedCount.size());
      trainedCount.forEach((id, n) -> assertEquals(1, n, id + " trained " + n + " times"));
      assertEquals(1, second.stats().pendingGroups());
      assertEquals(3, second.policy().version());
      assertEquals(0, second.stats().duplicatesIgnored());
    }
  }

  @Test
  void aSecondTrainerOnTheSameStoreFailsAtStart() throws IOException {
    try (TrainerCore first = open(batchOf(1))) {
      StoreLockedException second =
          assertThrows(StoreLockedException.class, () -> open(batchOf(1)));
      assertTrue(second.getMessage().contains("in use by another trainer"), second.getMessage());
      assertEquals(0, first.policy().version());
    }
    try (TrainerCore afterTheFirstStopped = open(batchOf(1))) {
      assertEquals(0, afterTheFirstStopped.policy().version());
    }
  }

  @Test
  void aTrainedCheckpointWithoutItsProgressIsAnErrorNotARetrainFromZero() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      offerAll(core, group("p", 0, 2), 0);
      assertEquals(1, core.policy().version());
    }
    Files.delete(new ProgressStore(dir.resolve("progress")).file(1));
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> open(batchOf(1)));
    assertTrue(error.getMessage().contains("progress file"), error.getMessage());
    assertTrue(error.getMessage().contains("is missing"), error.getMessage());
    // The failed start released the lock: once the progress is back, a trainer starts.
    new ProgressStore(dir.resolve("progress")).write(TrainerProgress.empty(1));
    try (TrainerCore core = open(batchOf(1))) {
      assertEquals(1, core.policy().version());
    }
  }

  @Test
  void aCorruptNewestCheckpointFallsBackToTheNewestVerifiedOneAndItsProgress() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      offerAll(core, group("a", 0, 2), 0);
      offerAll(core, group("b", 0, 2), 2);
      assertEquals(2, core.policy().version());
    }
    Path newest = store.root().resolve(CheckpointStore.directoryName(2));
    try (Stream<Path> files = Files.list(newest)) {
      Path weights =
          files
              .filter(f -> !f.getFileName().toString().equals(CheckpointStore.MANIFEST))
              .findFirst()
              .orElseThrow();
      Files.write(weights, new byte[] {1, 2, 3});
    }
    try (TrainerCore core = open(batchOf(1))) {
      assertEquals(1, core.policy().version());
      assertEquals(Map.of(0, 2L), core.resumeOffsets(), "v1's progress, not v2's");
      // Group b is read again and trained into a new v2.
      List<TrainedStep> steps = offerAll(core, group("b", 0, 2), 2);
      assertEquals(1, steps.size());
      assertEquals(2, steps.get(0).checkpoint().version());
    }
    assertEquals(
        List.of(
            TrainedRolloutLog.HEADER,
            "1\ta@v0#0/0\ta@v0#0\t0",
            "1\ta@v0#0/1\ta@v0#0\t0",
            "2\tb@v0#0/0\tb@v0#0\t0",
            "2\tb@v0#0/1\tb@v0#0\t0"),
        Files.readAllLines(store.root().resolve(TrainerCore.TRAINED_ROLLOUTS_FILE)));
  }

  @Test
  void leftoversOfKilledWritesAreDeletedAtStart() throws IOException {
    Path killedCheckpoint = Files.createDirectories(store.root().resolve(".tmp-v000000000001-x"));
    Files.writeString(killedCheckpoint.resolve("model.params"), "half");
    Path killedProgress =
        Files.createDirectories(dir.resolve("progress")).resolve(".tmp-killed.json");
    Files.writeString(killedProgress, "{");
    try (TrainerCore core = open(batchOf(1))) {
      assertTrue(Files.notExists(killedCheckpoint));
      assertTrue(Files.notExists(killedProgress));
      assertEquals(1, offerAll(core, group("p", 0, 2), 0).size());
    }
  }

  @Test
  void poisonedRecordsAreRejectedByReasonAndNeverReachAStep() throws IOException {
    try (TrainerCore core = open(batchOf(1))) {
      List<CreditedRollout> poisoned = new ArrayList<>();
      poisoned.add(withAdvantage(rollout("p", 0, 0, 2), Float.NaN));
      poisoned.add(withAdvantage(rollout("p", 0, 0, 2), 1e6f));
      poisoned.add(withLogProb(rollout("p", 0, 0, 2), Float.NEGATIVE_INFINITY));
      poisoned.add(withLogProb(rollout("p", 0, 0, 2), 4f));
      poisoned.add(withLogProb(rollout("p", 0, 0, 2), -1e5f));
      List<String> labels = new ArrayList<>();
      long offset = 0;
      for (CreditedRollout record : poisoned) {
        OfferResult result = core.offer(record, 0, offset++);
        assertEquals(Disposition.INVALID, result.disposition(), result.reason());
        labels.add(result.reasonLabel());
      }
      assertEquals(
          List.of(
              "non-finite-advantage",
              "absurd-advantage",
              "non-finite-log-prob",
              "absurd-log-prob",
              "absurd-log-prob"),
          labels);
      assertTrue(core.reject(0, offset++, "corrupt-body"));
      assertEquals(
          Map.of(
              "non-finite-advantage", 1L,
              "absurd-advantage", 1L,
              "non-finite-log-prob", 1L,
              "absurd-log-prob", 2L,
              "corrupt-body", 1L),
          core.stats().deadLettersByReason());
      assertEquals(6, core.stats().deadLetters());
      assertEquals(0, core.stats().pendingGroups());
      // The healthy group still trains; the rejected offsets count as consumed.
      assertEquals(1, offerAll(core, group("p", 0, 2), offset).size());
      assertEquals(1, core.policy().version());
      assertTrue(Double.isFinite(core.stats().lastLoss()));
      assertEquals(false, core.reject(0, 0, "corrupt-body"), "offset 0 was consumed");
    }
  }

  private static CreditedRollout withAdvantage(CreditedRollout record, float value) {
    List<Float> advantages = new ArrayList<>(record.getTokenAdvantages());
    advantages.set(advantages.size() / 2, value);
    record.setTokenAdvantages(advantages);
    return record;
  }

  private static CreditedRollout withLogProbs(CreditedRollout record, float value) {
    List<Float> logProbs = new ArrayList<>();
    record.getLogProbs().forEach(lp -> logProbs.add(value));
    record.setLogProbs(logProbs);
    return record;
  }

  private static CreditedRollout withLogProb(CreditedRollout record, float value) {
    List<Float> logProbs = new ArrayList<>(record.getLogProbs());
    logProbs.set(logProbs.size() / 2, value);
    record.setLogProbs(logProbs);
    return record;
  }
}
