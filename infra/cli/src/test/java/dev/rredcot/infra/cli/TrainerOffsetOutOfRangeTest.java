package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.trainer.ProgressStore;
import dev.rredcot.model.trainer.TrainerProgress;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer whose resume offset was deleted from {@code credited-rollouts} (retention) stops with
 * an error naming the partition, the offset, the log's range and the runbook, instead of Kafka's
 * default silent jump to the end of the log.
 */
@Tag("slow")
class TrainerOffsetOutOfRangeTest {
  @TempDir Path dir;

  @Test
  void aDeletedResumeOffsetIsAnErrorWithTheRunbookNotASilentJump() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(Topics.ALL, 2);
      String bootstrap = kafka.bootstrapServers();
      TopicPartition partition = new TopicPartition(Topics.CREDITED_ROLLOUTS, 0);
      Properties producerProps = new Properties();
      producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>(partition.topic(), 0, null, new byte[] {1})).get();
        }
      }
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(8))).all().get();
      }
      // The trainer's last checkpoint covered offsets up to 3 of partition 0.
      CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 5);
      InitialPolicy.materialise(store);
      Path progress = dir.resolve("progress");
      new ProgressStore(progress)
          .write(new TrainerProgress(0, Map.of(0, 3L), List.of(), Map.of(), Map.of()));

      try (TrainerService trainer =
          TrainerService.builder()
              .setBootstrapServers(bootstrap)
              .setCheckpointStore(store)
              .optProgressDir(progress)
              .build()) {
        trainer.start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (trainer.failure() == null && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        Throwable failure = trainer.failure();
        assertNotNull(failure, "the trainer must stop, not skip to the end");
        String message = failure.getMessage();
        assertTrue(message.contains("credited-rollouts partition 0 at offset 3"), message);
        assertTrue(message.contains("the log holds 8..10"), message);
        assertTrue(message.contains("docs/OPERATIONS.md#out-of-range-offsets"), message);
      }
    }
  }
}
