package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.policy.LlamaPolicy;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.JsonlTaskFamily;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.model.trainer.TrainerStats;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole online loop with a real pretrained Llama as the policy: the committed BabyLlama seeds
 * the checkpoint store, the rollout worker samples the babyllama-continue family with it, the
 * credit job credits with rredcot credit on the Flink runner scoring with the store's Llama
 * versions, and the trainer trains the Llama and publishes Llama versions that the worker and the
 * value stage load. Every rollout is counted from the worker to the trainer.
 */
@Tag("slow")
class LlamaOnlineLoopKafkaFlinkTest {
  private static final Path MODEL = RepositoryFiles.babyLlama();
  private static final Path FAMILY =
      RepositoryFiles.path("infra/examples/babyllama-continue.jsonl");
  private static final int PROMPTS = 8;
  private static final int GROUP_SIZE = 4;
  private static final int ROLLOUTS = PROMPTS * GROUP_SIZE;
  private static final int BATCH_GROUPS = 2;
  private static final Duration TIMEOUT = Duration.ofSeconds(180);

  @TempDir Path tempDir;

  @Test
  void theLlamaIsTrainedAndFollowedAndEveryRolloutIsCreditedOnce() throws Exception {
    assertTrue(Files.isDirectory(MODEL), "model not found at " + MODEL.toAbsolutePath());
    JsonlTaskFamily family = JsonlTaskFamily.load(FAMILY);
    CheckpointStore store = new CheckpointStore(tempDir.resolve("checkpoints"), 50);
    try (LlamaCausalLm seed = LlamaCausalLm.openLlama2c(MODEL)) {
      seed.save(store, 0, null, Map.of());
    }
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      broker.createTopics(Topics.ALL, 2);
      String bootstrap = broker.bootstrapServers();
      TrainablePolicy initial = PolicyCheckpoints.load(store.load(0));
      assertInstanceOf(LlamaPolicy.class, initial);
      try (TrainerService trainer =
              TrainerService.builder()
                  .setBootstrapServers(bootstrap)
                  .setCheckpointStore(store)
                  .optOptions(
                      TrainerOptions.builder()
                          .optBatchGroups(BATCH_GROUPS)
                          .optTrainOptions(
                              PolicyUpdateOptions.builder().optLearningRate(1e-5).build())
                          .build())
                  .optInFlightBudget(Topics.ROLLOUT_BUDGET, 1, Duration.ZERO)
                  .build();
          RolloutWorker worker =
              RolloutWorker.builder()
                  .setBootstrapServers(bootstrap)
                  .setCheckpointStore(store)
                  .setTaskFamilies(List.of(family))
                  .optInitialPolicy(initial)
                  .optGroupSize(GROUP_SIZE)
                  .optPromptsPerBatch(BATCH_GROUPS)
                  .optMaxTokens(16)
                  .optInFlightBudget(Topics.ROLLOUT_BUDGET)
                  .build();
          TaskFeeder feeder =
              TaskFeeder.builder()
                  .setBootstrapServers(bootstrap)
                  .setTask(family)
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
                "--taskFamilies=" + FAMILY,
                "--trustedKeys=none");
        PipelineResult result = CreditPipeline.run(options);
        assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
        Map<String, Long> counters = CreditPipeline.counters(result);
        assertTrue(
            counters.keySet().stream().noneMatch(name -> name.startsWith("dead-letters/")),
            counters.toString());

        List<CreditedRollout> credited =
            OnlineLoopChecks.assertEveryRolloutCreditedOnce(bootstrap, ROLLOUTS, TIMEOUT);

        TrainerStats stats = awaitConsumed(trainer, ROLLOUTS);
        assertNull(trainer.failure());
        assertEquals(0, stats.invalidRecords(), stats.toString());
        assertTrue(stats.steps() >= 2, stats.toString());
        assertTrue(worker.stats().checkpointsAdopted() >= 1, worker.stats().toString());
        assertTrue(
            credited.stream().mapToLong(CreditedRollout::getPolicyVersion).max().orElse(0) >= 1,
            "rollouts sampled by a trained Llama version");
        // What the trainer wrote is a Llama that the store loads back as one.
        try (TrainablePolicy trained = PolicyCheckpoints.load(store.latest().orElseThrow())) {
          assertInstanceOf(LlamaPolicy.class, trained);
          assertEquals(stats.policyVersion(), trained.version());
        }
      }
    }
  }

  private static TrainerStats awaitConsumed(TrainerService trainer, long records) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (trainer.stats().rolloutsConsumed() < records && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    return trainer.stats();
  }
}
