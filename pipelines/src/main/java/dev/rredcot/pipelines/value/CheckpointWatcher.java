package dev.rredcot.pipelines.value;

import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon thread that reads {@code PolicyCheckpoint} announcements from the checkpoints topic and
 * offers them to a {@link PolicyHolder}. It assigns every partition and seeks to the beginning (no
 * consumer group: every worker must see every announcement, and the in-process test broker cannot
 * serve group offsets). Undecodable records are logged and skipped (they name no version to load).
 */
final class CheckpointWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointWatcher.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final RecordCodec<PolicyCheckpoint> CODEC = RecordCodec.of(PolicyCheckpoint.class);

  private final Thread thread;
  private volatile boolean running = true;

  private CheckpointWatcher(
      String bootstrapServers,
      Map<String, String> clientConfig,
      String topic,
      PolicyHolder holder) {
    this.thread =
        new Thread(
            () -> watch(bootstrapServers, clientConfig, topic, holder),
            "checkpoint-watcher-" + topic);
    thread.setDaemon(true);
  }

  static CheckpointWatcher start(
      String bootstrapServers,
      Map<String, String> clientConfig,
      String topic,
      PolicyHolder holder) {
    CheckpointWatcher watcher =
        new CheckpointWatcher(bootstrapServers, clientConfig, topic, holder);
    watcher.thread.start();
    return watcher;
  }

  private void watch(
      String bootstrapServers,
      Map<String, String> clientConfig,
      String topic,
      PolicyHolder holder) {
    Properties props = new Properties();
    props.putAll(clientConfig);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Announcements are hints read from the beginning; one deleted before it was read is harmless.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = List.of();
      while (running && partitions.isEmpty()) {
        try {
          partitions =
              consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                  .map(info -> new TopicPartition(topic, info.partition()))
                  .collect(Collectors.toList());
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          LOG.warn("topic {} not available yet, retrying", topic);
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      LOG.info("watching {} for policy checkpoints", topic);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          try {
            holder.offer(CODEC.decode(record.value()));
          } catch (RuntimeException e) {
            LOG.error(
                "skipping undecodable checkpoint announcement at {}-{}@{}: {}",
                record.topic(),
                record.partition(),
                record.offset(),
                e.toString());
          }
        }
      }
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("checkpoint watcher on {} stopped: {}", topic, e.toString());
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
