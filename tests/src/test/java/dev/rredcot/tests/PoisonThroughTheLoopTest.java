package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.loop.LoopProcesses;
import dev.rredcot.infra.loop.LoopShape;
import dev.rredcot.infra.loop.RolloutLedger;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison that passes the contract, through the live loop as processes: the credit job (embedded
 * Flink) and the trainer each in their own JVM on a real broker. Groups whose wrong members claim
 * behaviour log-probs just above the contract's per-token floor (about e^42 times less likely than
 * the policy finds them: importance ratios near the float range) are credited and trained with the
 * trainer's clamp, and training goes on; a group claiming −200 per token is dead-lettered by the
 * contract ({@code implausible-log-probs}). Every id ends in exactly one state, and the trainer is
 * alive at the end.
 */
@Tag("slow")
class PoisonThroughTheLoopTest {
  private static final int GROUP_SIZE = 4;
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);
  private static final Duration TIMEOUT = Duration.ofMinutes(6);

  // Kept when the test fails: the processes' logs are under it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void groupsWithExtremeButPlausibleLogProbsAreTrainedAndTrainingGoesOn() throws Exception {
    SyntheticRollouts synthetic =
        SyntheticRollouts.builder().optSeed(21).optGroupSize(GROUP_SIZE).build();
    List<List<Rollout>> mixed = new ArrayList<>();
    for (int g = 0; mixed.size() < 6; g++) {
      List<Rollout> group = synthetic.group(g);
      long correct = group.stream().filter(r -> r.getReward() > 0).count();
      if (correct > 0 && correct < GROUP_SIZE) {
        // Mixed rewards: GRPO gives the wrong members a negative advantage, where a huge
        // importance ratio is not cut off by the clip.
        mixed.add(group);
      }
    }
    double floor =
        -(Math.log(CharTokenizer.arithmetic().vocabSize())
            + RolloutContract.DEFAULT_LOG_PROB_MARGIN);
    float plausibleButExtreme = (float) (floor + 1);
    List<Rollout> written = new ArrayList<>();
    written.addAll(mixed.get(0));
    written.addAll(mixed.get(1));
    written.addAll(withWrongMembersAt(mixed.get(2), plausibleButExtreme));
    written.addAll(withWrongMembersAt(mixed.get(3), plausibleButExtreme));
    List<Rollout> forged = withEveryMemberAt(mixed.get(4), -200f);
    written.addAll(forged);
    written.addAll(mixed.get(5));

    LoopShape shape =
        new LoopShape("grpo", GROUP_SIZE, 1, 1, 1, 0, 1, 1.0, 5_000, 10, LoopShape.AT_LEAST_ONCE);
    try (LoopProcesses loop = new LoopProcesses(shape, dir)) {
      String bootstrap = loop.startBroker();
      loop.start(LoopProcesses.TRAINER);
      loop.start(LoopProcesses.PIPELINE);
      TopicRecords.write(
          bootstrap,
          Topics.ROLLOUTS,
          written.stream()
              .map(
                  r ->
                      new byte[][] {
                        r.getGroupId().getBytes(StandardCharsets.UTF_8), ROLLOUTS.encode(r)
                      })
              .toList());

      RolloutLedger ledger = awaitAccounted(loop, written.size());
      RolloutLedger.Outcomes outcomes = ledger.outcomes();
      assertEquals(written.size() - GROUP_SIZE, outcomes.trained(), "every other group trained");
      assertEquals(0, outcomes.stale());
      assertEquals(GROUP_SIZE, outcomes.deadLetters(), "the forged group: " + outcomes);
      assertEquals(
          Map.of(ParseRollouts.STAGE + "/implausible-log-probs", GROUP_SIZE),
          outcomes.deadLettersByReason());
      for (Rollout rollout : forged) {
        assertTrue(ledger.dead().containsKey(rollout.getRolloutId().toString()));
      }
      assertEquals(0, ledger.trainedTwice());
      assertTrue(loop.child(LoopProcesses.TRAINER).isAlive(), "the trainer runs on");
      // Batches of one group: one version per trained group, the poisoned ones included; the
      // trained-rollouts log is written before the step's checkpoint is published.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (loop.newestVersion() < 5 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertEquals(5, loop.newestVersion(), trainerLogTail(loop));
      int clampedSteps = 0;
      for (int version = 1; version <= 5; version++) {
        JsonNode metrics = manifest(loop.store(), version).get("metrics");
        assertTrue(Double.isFinite(metrics.get("loss").asDouble()), "v" + version + ": " + metrics);
        assertTrue(
            Double.isFinite(metrics.get("grad_norm").asDouble()), "v" + version + ": " + metrics);
        if (metrics.get("log_ratio_clamped_fraction").asDouble() > 0) {
          clampedSteps++;
        }
      }
      assertEquals(2, clampedSteps, "the two poisoned groups' steps clamp their log-ratios");
    }
  }

  private static RolloutLedger awaitAccounted(LoopProcesses loop, int expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    RolloutLedger ledger = RolloutLedger.read(loop.audit(), loop.store());
    while (ledger.produced().size() < expected || !ledger.unaccounted().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "not every rollout accounted for within "
                + TIMEOUT
                + ": "
                + ledger.outcomes()
                + "\n"
                + trainerLogTail(loop));
      }
      assertTrue(
          loop.child(LoopProcesses.TRAINER).isAlive(), "the trainer died: " + trainerLogTail(loop));
      Thread.sleep(500);
      ledger = RolloutLedger.read(loop.audit(), loop.store());
    }
    return ledger;
  }

  private static JsonNode manifest(Path store, int version) throws IOException {
    return new ObjectMapper()
        .readTree(
            store.resolve(String.format("v%012d", version)).resolve("manifest.json").toFile());
  }

  private static String trainerLogTail(LoopProcesses loop) {
    return String.join("\n", loop.child(LoopProcesses.TRAINER).logTail(30));
  }

  /** The group with every token of each wrong member claiming {@code logProb}. */
  private static List<Rollout> withWrongMembersAt(List<Rollout> group, float logProb) {
    return group.stream().map(r -> r.getReward() > 0 ? r : claiming(r, logProb)).toList();
  }

  private static List<Rollout> withEveryMemberAt(List<Rollout> group, float logProb) {
    return group.stream().map(r -> claiming(r, logProb)).toList();
  }

  private static Rollout claiming(Rollout rollout, float logProb) {
    return Rollout.newBuilder(rollout)
        .setLogProbs(Collections.nCopies(rollout.getLogProbs().size(), logProb))
        .build();
  }
}
