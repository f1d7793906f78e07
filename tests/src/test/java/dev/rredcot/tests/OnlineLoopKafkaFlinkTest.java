package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.model.trainer.TrainerStats;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole online loop on a real broker: task feeder, rollout worker, the credit pipeline with
 * rredcot credit on the Flink runner, and the trainer, from the shipped initial policy. Every
 * rollout is counted from the worker to the trainer.
 */
@Tag("slow")
class OnlineLoopKafkaFlinkTest {
  private static final int PROMPTS = 24;
  private static final int GROUP_SIZE = 4;
  private static final int ROLLOUTS = PROMPTS * GROUP_SIZE;
  private static final int BATCH_GROUPS = 2;
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path tempDir;

  @Test
  void policyAdvancesAndEveryRolloutIsCreditedOnceAndTrainedAtMostOnce() throws Exception {
    ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      broker.createTopics(Topics.ALL, 2);
      String bootstrap = broker.bootstrapServers();
      // The trainer signs every version; the credit job loads only what that key signed.
      Path keyFile = tempDir.resolve("keys").resolve("checkpoint-signing.key");
      CheckpointStore store =
          new CheckpointStore(tempDir.resolve("checkpoints"), 50)
              .withSigner(CheckpointSigningKey.generateInto(keyFile));
      Checkpoint initial = InitialPolicy.materialise(store);

      try (TrainerService trainer =
              TrainerService.builder()
                  .setBootstrapServers(bootstrap)
                  .setCheckpointStore(store)
                  .optOptions(TrainerOptions.builder().optBatchGroups(BATCH_GROUPS).build())
                  .optInFlightBudget(Topics.ROLLOUT_BUDGET, 1, Duration.ZERO)
                  .build();
          RolloutWorker worker =
              RolloutWorker.builder()
                  .setBootstrapServers(bootstrap)
                  .setCheckpointStore(store)
                  .setTaskFamilies(List.of(task))
                  .optInitialPolicy(Policy.load(initial))
                  .optGroupSize(GROUP_SIZE)
                  .optPromptsPerBatch(BATCH_GROUPS)
                  .optInFlightBudget(Topics.ROLLOUT_BUDGET)
                  .build();
          TaskFeeder feeder =
              TaskFeeder.builder()
                  .setBootstrapServers(bootstrap)
                  .setTask(task)
                  .optFixedSet(PROMPTS, 1)
                  .optPromptsPerSecond(50)
                  .build()) {
        trainer.start();
        worker.start();
        feeder.start();

        CreditPipelineOptions options =
            OnlineLoopChecks.creditJob(
                bootstrap,
                store.root(),
                ROLLOUTS,
                "--trustedKeys=" + CheckpointSigningKey.publicFile(keyFile));
        PipelineResult result = CreditPipeline.run(options);
        assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
        // Nothing lost: each of the worker's rollouts is credited, exactly once.
        List<CreditedRollout> credited =
            OnlineLoopChecks.assertEveryRolloutCreditedOnce(bootstrap, ROLLOUTS, TIMEOUT);

        // A record seen twice (an at-least-once redelivery) must not be trained twice.
        ConsumerRecord<byte[], byte[]> redelivered =
            TopicRecords.readAll(bootstrap, Topics.CREDITED_ROLLOUTS, 1, TIMEOUT).get(0);
        TopicRecords.write(
            bootstrap,
            Topics.CREDITED_ROLLOUTS,
            List.<byte[][]>of(new byte[][] {redelivered.key(), redelivered.value()}));
        TrainerStats stats = awaitConsumed(trainer, ROLLOUTS + 1);
        assertNull(trainer.failure());
        assertEquals(1, stats.duplicatesIgnored(), stats.toString());
        assertEquals(0, stats.invalidRecords(), stats.toString());
        assertTrue(stats.rolloutsTrained() <= ROLLOUTS, stats.toString());

        // The policy advanced, and the worker and the value stage picked new versions up.
        assertTrue(stats.steps() >= 3, stats.toString());
        assertTrue(worker.stats().checkpointsAdopted() >= 2, worker.stats().toString());
        assertTrue(
            credited.stream().mapToLong(CreditedRollout::getPolicyVersion).max().orElse(0) >= 2,
            "rollouts sampled by later versions");
        assertTrue(
            credited.stream()
                    .map(CreditedRollout::getScoringPolicyVersion)
                    .collect(Collectors.toSet())
                    .size()
                >= 2,
            "the value stage scored with more than one version");
        List<PolicyCheckpoint> announced =
            TopicRecords.readAll(bootstrap, Topics.CHECKPOINTS, (int) stats.steps(), TIMEOUT)
                .stream()
                .map(record -> RecordCodec.of(PolicyCheckpoint.class).decode(record.value()))
                .toList();
        assertTrue(
            announced.stream().mapToLong(PolicyCheckpoint::getVersion).max().orElse(0)
                == stats.policyVersion(),
            "every version the trainer reached was announced");
        assertTrue(
            credited.stream()
                .allMatch(
                    rollout -> rollout.getCreditMethod().equals("rredcot-rudder-calibrated")));
      }
    }
  }

  private static TrainerStats awaitConsumed(TrainerService trainer, long records) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (trainer.stats().rolloutsConsumed() + trainer.stats().duplicatesIgnored() < records
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    return trainer.stats();
  }
}
