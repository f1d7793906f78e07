package dev.rredcot.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.pretrain.PretrainOptions;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.schemas.AvroSerde;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resumed task feeder goes on after the newest prompt on the topic, on a real broker: every
 * prompt of its set ends up on the topic, none skipped, even when one is there twice.
 */
@Tag("slow")
class FeederResumeTest {
  private static final int SET = 12;
  private static final ArithmeticTask TASK =
      new ArithmeticTask(PretrainOptions.INITIAL_POLICY_TASK);

  @TempDir Path dir;

  @Test
  void resumedFeederSendsTheRestOfTheSetOnceEach() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(List.of(Topics.PROMPTS), 2);
      int first = sendSome(kafka.bootstrapServers(), 5);
      finishSet(kafka.bootstrapServers());

      Map<String, Integer> onTopic = promptsOnTopic(kafka.bootstrapServers());
      assertEquals(SET, onTopic.size(), "every prompt of the set: " + onTopic);
      assertTrue(first >= 5);
      onTopic.forEach((id, records) -> assertEquals(1, records, id + " once: " + onTopic));
    }
  }

  // A send retried after the broker wrote it (an outage past the producer's delivery timeout)
  // leaves the last prompt on the topic twice; the topic's record count is then one ahead of the
  // feeder's sequence, and a feeder that resumed at the count skipped the next prompt.
  @Test
  void resumedFeederSkipsNoPromptWhenTheLastIsOnTheTopicTwice() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(List.of(Topics.PROMPTS), 2);
      int sent = sendSome(kafka.bootstrapServers(), 5);
      Prompt last = TaskFeeder.prompt(TASK, sent - 1, 0);
      try (KafkaProducer<String, Prompt> producer = producer(kafka.bootstrapServers())) {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, last.getId(), last)).get();
      }
      finishSet(kafka.bootstrapServers());

      Map<String, Integer> onTopic = promptsOnTopic(kafka.bootstrapServers());
      for (int seed = 0; seed < SET; seed++) {
        String id = TaskFeeder.prompt(TASK, seed, 0).getId();
        assertTrue(onTopic.containsKey(id), "prompt of seed " + seed + " is on the topic");
        assertEquals(id.equals(last.getId()) ? 2 : 1, onTopic.get(id), "records of seed " + seed);
      }
      assertEquals(SET, onTopic.size());
    }
  }

  // Killed after its first prompt: one partition of the topic holds it, the other is still empty.
  // A resumed feeder that polled the empty partition with no offset to start from failed on every
  // restart (NoOffsetForPartitionException), a crash loop seen in the chaos run.
  @Test
  void resumedFeederGoesOnWhenAPartitionIsStillEmpty() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      kafka.createTopics(List.of(Topics.PROMPTS), 2);
      Prompt first = TaskFeeder.prompt(TASK, 0, 0);
      try (KafkaProducer<String, Prompt> producer = producer(kafka.bootstrapServers())) {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, first.getId(), first)).get();
      }
      finishSet(kafka.bootstrapServers());

      Map<String, Integer> onTopic = promptsOnTopic(kafka.bootstrapServers());
      assertEquals(SET, onTopic.size(), "every prompt of the set: " + onTopic);
      onTopic.forEach((id, records) -> assertEquals(1, records, id + " once: " + onTopic));
    }
  }

  /** Sends at least {@code atLeast} prompts of the set, stops, and returns how many it sent. */
  private static int sendSome(String bootstrap, int atLeast) throws Exception {
    TaskFeeder feeder = feeder(bootstrap).optPromptsPerSecond(20).build();
    feeder.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (feeder.promptsSent() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    feeder.close();
    assertNull(feeder.failure());
    assertTrue(feeder.promptsSent() < SET, "stopped before the end of the set");
    return (int) feeder.promptsSent();
  }

  /** A resumed feeder of the same settings, run until it has sent the rest of the set. */
  private static void finishSet(String bootstrap) throws Exception {
    try (TaskFeeder feeder = feeder(bootstrap).optPromptsPerSecond(50).optResume(true).build()) {
      feeder.start();
      feeder.awaitTermination();
      assertNull(feeder.failure());
    }
  }

  private static TaskFeeder.Builder feeder(String bootstrap) {
    return TaskFeeder.builder().setBootstrapServers(bootstrap).setTask(TASK).optFixedSet(SET, 1);
  }

  private static KafkaProducer<String, Prompt> producer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return new KafkaProducer<>(
        props, new StringSerializer(), AvroSerde.of(Prompt.class).serializer());
  }

  /** Prompt id to its number of records on the topic. */
  private static Map<String, Integer> promptsOnTopic(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    RecordCodec<Prompt> codec = RecordCodec.of(Prompt.class);
    Map<String, Integer> counts = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(Topics.PROMPTS)) {
        partitions.add(new TopicPartition(Topics.PROMPTS, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline
          && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        consumer
            .poll(Duration.ofMillis(200))
            .forEach(r -> counts.merge(codec.decode(r.value()).getId(), 1, Integer::sum));
      }
    }
    return counts;
  }
}
