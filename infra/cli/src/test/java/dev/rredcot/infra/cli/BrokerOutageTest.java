package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.trainer.StalenessMode;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feeder and the trainer ride out a broker outage: the local broker (a child process) goes down
 * while they run and comes back on the same port with the same data; both go on without a failure
 * and lose nothing.
 */
@Tag("slow")
class BrokerOutageTest {
  private static final Duration OUTAGE = Duration.ofSeconds(8);

  @TempDir Path dir;

  @AfterEach
  void leaveNoBrokerBehind() {
    new LocalKafkaBroker(RredcotHome.at(dir.resolve("home"))).down(Duration.ofSeconds(10));
  }

  @Test
  void feederAndTrainerGoOnAfterTheBrokerComesBack() throws Exception {
    LocalKafkaBroker broker = new LocalKafkaBroker(RredcotHome.at(dir.resolve("home")));
    int port = LocalBrokerLifecycleTest.freePortPair();
    LocalBrokerSettings settings =
        LocalBrokerSettings.builder().optPort(port).optControllerPort(port + 1).build();
    String bootstrap = broker.up(settings).broker().bootstrapServers();
    CheckpointStore store = new CheckpointStore(dir.resolve("store"), 8);
    InitialPolicy.materialise(store);
    RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);

    try (TaskFeeder feeder =
            TaskFeeder.builder()
                .setBootstrapServers(bootstrap)
                .setTask(new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK))
                .optPromptsPerSecond(20)
                .build();
        TrainerService trainer =
            TrainerService.builder()
                .setBootstrapServers(bootstrap)
                .setCheckpointStore(store)
                .optOptions(
                    TrainerOptions.builder()
                        .optBatchGroups(1)
                        .optStaleness(10, StalenessMode.DROP)
                        .build())
                .build()) {
      feeder.start();
      trainer.start();
      produce(bootstrap, codec, "before");
      await(() -> trainer.stats().policyVersion() == 1 && feeder.promptsSent() >= 10);

      broker.down(Duration.ofSeconds(20));
      long sentAtOutage = feeder.promptsSent();
      Thread.sleep(OUTAGE.toMillis());
      assertNull(feeder.failure(), "the feeder waits out the outage");
      assertNull(trainer.failure(), "the trainer waits out the outage");
      assertTrue(feeder.promptsSent() <= sentAtOutage + 1, "nothing is acknowledged while down");

      broker.up(settings);
      produce(bootstrap, codec, "after");
      await(
          () -> trainer.stats().policyVersion() == 2 && feeder.promptsSent() >= sentAtOutage + 20);
      assertNull(feeder.failure());
      assertNull(trainer.failure());
      feeder.close();
      assertEquals(feeder.promptsSent(), endOffset(bootstrap, Topics.PROMPTS), "no prompt lost");
    }
  }

  private static void produce(String bootstrap, RecordCodec<CreditedRollout> codec, String prompt)
      throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int sample = 0; sample < 2; sample++) {
        producer
            .send(
                new ProducerRecord<>(
                    Topics.CREDITED_ROLLOUTS,
                    0,
                    null,
                    codec.encode(CreditedFixtures.credited(prompt, sample, 2))))
            .get();
      }
    }
  }

  private static long endOffset(String bootstrap, String topic) {
    try (TopicAdmin admin = TopicAdmin.connect(bootstrap, Duration.ofSeconds(10))) {
      return admin.describe(List.of(topic)).get(0).totalEndOffset();
    }
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not done within 60 s");
      }
      Thread.sleep(200);
    }
  }
}
