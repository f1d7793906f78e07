package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.budget.LedgerFollower;
import dev.rredcot.model.budget.TrainerBudget;
import dev.rredcot.model.budget.WorkerBudget;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.RolloutWorker;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.trainer.StalenessMode;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The global in-flight budget on a real broker: two rollout workers share (S + 1)·B groups, the
 * rollouts they publish never exceed what the trainer has read by more than that, they stop when
 * the trainer stops retiring, a restarted worker keeps to the budget (its state is the ledger), and
 * the real trainer publishes what it read and takes its count up again after a restart.
 */
@Tag("slow")
class InFlightBudgetTest {
  private static final int GROUP_SIZE = 2;
  private static final int STALENESS = 1;
  private static final int BATCH_GROUPS = 2;
  // (S + 1)·B groups of G rollouts.
  private static final long LIMIT_ROLLOUTS = (STALENESS + 1) * BATCH_GROUPS * GROUP_SIZE;
  private static final Duration QUIET = Duration.ofSeconds(3);
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void twoWorkersKeepWithinTheBudgetAndStopWhenTheTrainerStops() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      String bootstrap = kafka.bootstrapServers();
      CheckpointStore store = new CheckpointStore(dir.resolve("store"), 8);
      Checkpoint initial = InitialPolicy.materialise(store);
      ArithmeticTask task = new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);
      // The trainer's side of the budget, driven by hand: it "reads" what the test says.
      TrainerBudget trainer = trainerBudget(bootstrap, "trainer-a");
      AtomicLong retired = new AtomicLong();
      AtomicLong worstInFlight = new AtomicLong(Long.MIN_VALUE);
      AtomicReference<Throwable> monitorFailure = new AtomicReference<>();

      try (KafkaProducer<byte[], byte[]> producer = bytesProducer(bootstrap);
          TaskFeeder feeder =
              TaskFeeder.builder()
                  .setBootstrapServers(bootstrap)
                  .setTask(task)
                  .optFixedSet(60, 1)
                  .optPromptsPerSecond(100)
                  .build();
          RolloutWorker first = worker(bootstrap, store, initial, task);
          RolloutWorker second = worker(bootstrap, store, initial, task);
          KafkaConsumer<byte[], byte[]> offsets =
              KafkaClients.bytesConsumer(endOffsetsProps(bootstrap))) {
        trainer.open(0, () -> true);
        // Both workers hold a partition of prompts before any prompt exists, so that both sample
        // whatever the group coordinator's timing (otherwise the first to join may take all).
        first.start();
        second.start();
        awaitMembersWithPartitions(bootstrap, 2);
        publish(trainer, producer, 0);
        feeder.start();

        // Every 50 ms: rollouts on the topic minus what the trainer retired, the worst kept.
        Thread monitor =
            new Thread(
                () -> {
                  try (KafkaConsumer<byte[], byte[]> ends =
                      KafkaClients.bytesConsumer(endOffsetsProps(bootstrap))) {
                    while (!Thread.currentThread().isInterrupted()) {
                      long inFlight = produced(ends) - retired.get();
                      worstInFlight.accumulateAndGet(inFlight, Math::max);
                      Thread.sleep(50);
                    }
                  } catch (InterruptedException
                      | org.apache.kafka.common.errors.InterruptException e) {
                    // Stopped by monitor.interrupt(), in a sleep or inside a Kafka call.
                    Thread.currentThread().interrupt();
                  } catch (Throwable e) {
                    monitorFailure.set(e);
                  }
                });
        monitor.start();

        // The workers fill the budget and stop there: the trainer has read nothing yet.
        awaitQuiet(offsets, LIMIT_ROLLOUTS);
        RolloutWorker restarted = null;
        for (int round = 1; round <= 5; round++) {
          if (round == 3) {
            // A worker restarts: what is in flight comes from the ledger, not from memory.
            first.close();
            restarted = worker(bootstrap, store, initial, task);
            restarted.start();
          }
          // The trainer reads one batch (B groups); exactly that much room opens again.
          long next = retired.get() + BATCH_GROUPS * GROUP_SIZE;
          retired.set(next);
          publish(trainer, producer, next);
          awaitQuiet(offsets, next + LIMIT_ROLLOUTS);
        }

        // The trainer stops: however long the workers wait, nothing more is admitted.
        trainer.close();
        long atStop = produced(offsets);
        Thread.sleep(2 * QUIET.toMillis());
        assertEquals(atStop, produced(offsets), "nothing sampled once the trainer stopped");
        assertTrue(feeder.promptsSent() * GROUP_SIZE > atStop, "prompts were left waiting");

        monitor.interrupt();
        monitor.join();
        assertNull(monitorFailure.get());
        assertEquals(
            LIMIT_ROLLOUTS,
            worstInFlight.get(),
            "the budget was filled and never exceeded, at any of the monitor's readings");
        assertTrue(first.stats().promptsServed() > 0, "the first worker sampled");
        assertTrue(second.stats().promptsServed() > 0, "the second worker sampled");
        assertNull(first.failure());
        assertNull(second.failure());
        if (restarted != null) {
          assertNull(restarted.failure());
          restarted.close();
        }
      } finally {
        trainer.close();
      }
    }
  }

  @Test
  void trainerRetiresWhatItReadAndKeepsItsCountAcrossARestart() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      String bootstrap = kafka.bootstrapServers();
      CheckpointStore store = new CheckpointStore(dir.resolve("store"), 8);
      InitialPolicy.materialise(store);
      try (KafkaProducer<String, byte[]> stringProducer =
              new KafkaProducer<>(
                  KafkaClients.secured(producerProps(bootstrap)),
                  new StringSerializer(),
                  new ByteArraySerializer());
          KafkaProducer<byte[], byte[]> producer = bytesProducer(bootstrap);
          LedgerFollower ledger = new LedgerFollower(bootstrap, Topics.ROLLOUT_BUDGET);
          WorkerBudget worker =
              new WorkerBudget(
                  bootstrap, Topics.ROLLOUT_BUDGET, "worker-x", "rollout-workers", GROUP_SIZE)) {
        ledger.assign();
        worker.start();
        try (TrainerService trainer = trainerService(bootstrap, store)) {
          trainer.start();
          // Before the trainer's first retirement a worker has no room at all.
          awaitTrue(
              () -> {
                worker.follow(Duration.ofMillis(100));
                return worker.admissiblePrompts(8) == (STALENESS + 1) * BATCH_GROUPS;
              });
          // Two prompts claimed and "sampled", then their credited rollouts reach the trainer.
          assertTrue(worker.claim(stringProducer, Topics.PROMPTS, prompts(0, 2), () -> true));
          for (String prompt : List.of("p0", "p1")) {
            for (int sample = 0; sample < GROUP_SIZE; sample++) {
              CreditedRollout credited = CreditedFixtures.credited(prompt, sample, GROUP_SIZE);
              producer
                  .send(
                      new ProducerRecord<>(
                          Topics.CREDITED_ROLLOUTS,
                          null,
                          RecordCodec.of(CreditedRollout.class).encode(credited)))
                  .get();
            }
          }
          awaitTrue(
              () -> {
                ledger.poll(Duration.ofMillis(100));
                return ledger.ledger().retiredRollouts() == 2 * GROUP_SIZE;
              });
          assertEquals(0, ledger.ledger().inFlightRollouts());
          assertEquals((STALENESS + 1) * BATCH_GROUPS, ledger.ledger().limitGroups());
          assertNull(trainer.failure());
        }
        // A third prompt is claimed while the trainer is down; the restarted trainer resumes its
        // count from its store and the ledger, so that prompt is still in flight.
        assertTrue(worker.claim(stringProducer, Topics.PROMPTS, prompts(2, 3), () -> true));
        try (TrainerService trainer = trainerService(bootstrap, store)) {
          trainer.start();
          awaitTrue(() -> trainer.budgetInFlightRollouts() == GROUP_SIZE);
          ledger.catchUp(() -> true);
          assertEquals(2 * GROUP_SIZE, ledger.ledger().retiredRollouts());
          assertEquals(GROUP_SIZE, ledger.ledger().inFlightRollouts());
        }
      }
    }
  }

  private static TrainerService trainerService(String bootstrap, CheckpointStore store) {
    return TrainerService.builder()
        .setBootstrapServers(bootstrap)
        .setCheckpointStore(store)
        .optOptions(
            TrainerOptions.builder()
                .optBatchGroups(BATCH_GROUPS)
                .optStaleness(10, StalenessMode.DROP)
                .build())
        .optInFlightBudget(Topics.ROLLOUT_BUDGET, STALENESS, Duration.ZERO)
        .build();
  }

  /** Prompt records at offsets [from, to) of partition 0 (only their offsets matter to a claim). */
  private static List<ConsumerRecord<byte[], byte[]>> prompts(long from, long to) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (long offset = from; offset < to; offset++) {
      records.add(new ConsumerRecord<>(Topics.PROMPTS, 0, offset, new byte[0], new byte[0]));
    }
    return records;
  }

  private static RolloutWorker worker(
      String bootstrap, CheckpointStore store, Checkpoint initial, ArithmeticTask task)
      throws Exception {
    return RolloutWorker.builder()
        .setBootstrapServers(bootstrap)
        .setCheckpointStore(store)
        .setTaskFamilies(List.of(task))
        .optInitialPolicy(Policy.load(initial))
        .optGroupSize(GROUP_SIZE)
        .optPromptsPerBatch(2)
        .optMaxTokens(48)
        .optInFlightBudget(Topics.ROLLOUT_BUDGET)
        .build();
  }

  private static TrainerBudget trainerBudget(String bootstrap, String id) {
    return new TrainerBudget(
        bootstrap,
        Topics.ROLLOUT_BUDGET,
        id,
        (STALENESS + 1) * BATCH_GROUPS,
        Duration.ZERO,
        System::currentTimeMillis);
  }

  private static void publish(TrainerBudget trainer, KafkaProducer<byte[], byte[]> producer, long n)
      throws Exception {
    var sent = trainer.report(producer, n, 0, () -> true);
    if (sent != null) {
      sent.get();
    }
  }

  /** Waits until the rollouts topic holds {@code expected} records and nothing more comes. */
  private static void awaitQuiet(KafkaConsumer<byte[], byte[]> offsets, long expected)
      throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (produced(offsets) < expected && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Thread.sleep(QUIET.toMillis());
    assertEquals(expected, produced(offsets), "rollouts published once the budget is full");
  }

  private static long produced(KafkaConsumer<byte[], byte[]> consumer) {
    List<TopicPartition> partitions = new ArrayList<>();
    consumer
        .partitionsFor(Topics.ROLLOUTS)
        .forEach(info -> partitions.add(new TopicPartition(Topics.ROLLOUTS, info.partition())));
    return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out");
      Thread.sleep(100);
    }
  }

  private static java.util.Properties producerProps(String bootstrap) {
    java.util.Properties props = new java.util.Properties();
    props.put("bootstrap.servers", bootstrap);
    return props;
  }

  private static KafkaProducer<byte[], byte[]> bytesProducer(String bootstrap) {
    return new KafkaProducer<>(
        KafkaClients.secured(producerProps(bootstrap)),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** A consumer that only looks end offsets up (it never reads, so it never resets). */
  private static java.util.Properties endOffsetsProps(String bootstrap) {
    java.util.Properties props = KafkaClients.manualCommitConsumerProps(bootstrap);
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    return props;
  }

  /** Waits until the workers' consumer group has {@code members} members, each with partitions. */
  private static void awaitMembersWithPartitions(String bootstrap, int members) throws Exception {
    java.util.Properties props = new java.util.Properties();
    props.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(props)) {
      while (true) {
        var group =
            admin
                .describeConsumerGroups(List.of(dev.rredcot.infra.kafka.ClientRole.WORKER_GROUP))
                .all()
                .get()
                .get(dev.rredcot.infra.kafka.ClientRole.WORKER_GROUP);
        long assigned =
            group.members().stream()
                .filter(member -> !member.assignment().topicPartitions().isEmpty())
                .count();
        if (assigned >= members) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the workers' group never had " + members + " assigned members");
        }
        Thread.sleep(100);
      }
    }
  }
}
