package dev.rredcot.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class EmbeddedKafkaBrokerTest {
  @TempDir Path tempDir;

  @Test
  void servesTopicsItCreatedAndDeletesItsDataOnClose() throws Exception {
    Path dataDir = tempDir.resolve("kafka");
    String bootstrap;
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dataDir)) {
      bootstrap = kafka.bootstrapServers();
      kafka.createTopics(List.of("greetings"), 3);
      assertEquals(3, kafka.describeTopics(List.of("greetings")).get(0).partitions());

      try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap))) {
        producer.send(new ProducerRecord<>("greetings", 1, "k", "hello")).get();
      }
      List<ConsumerRecord<String, String>> read = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap))) {
        TopicPartition partition = new TopicPartition("greetings", 1);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (read.isEmpty() && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        }
      }
      assertEquals(1, read.size());
      assertEquals("hello", read.get(0).value());
      assertEquals(
          List.of(1L),
          List.of(kafka.describeTopics(List.of("greetings")).get(0)).stream()
              .map(summary -> summary.endOffsets().get(1))
              .toList());
    }
    assertFalse(Files.exists(dataDir) && Files.list(dataDir).findAny().isPresent());
    String[] hostPort = bootstrap.split(":");
    assertThrows(
        java.io.IOException.class,
        () -> {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 1000);
          }
        });
  }

  @Test
  void creatingAnExistingTopicAgainKeepsIt() {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(List.of("once"), 2);
      kafka.createTopics(List.of("once"), 5);
      assertEquals(2, kafka.describeTopics(List.of("once")).get(0).partitions());
    }
  }

  @Test
  void aConsumerGroupsFirstCommittedOffsetFetchSucceedsRightAfterStart() {
    // Beam's KafkaIO assigns partitions and asks for the group's committed offsets at once; the
    // group coordinator must not still be loading then.
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"))) {
      kafka.createTopics(List.of("events"), 2);
      Properties props = consumerProps(kafka.bootstrapServers());
      props.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "readers");
      props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.setProperty(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
        List<TopicPartition> partitions =
            List.of(new TopicPartition("events", 0), new TopicPartition("events", 1));
        consumer.assign(partitions);
        for (TopicPartition partition : partitions) {
          assertEquals(0L, consumer.position(partition));
        }
      }
    }
  }

  private static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.putAll(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    return props;
  }

  private static Properties consumerProps(String bootstrap) {
    Properties props = new Properties();
    props.putAll(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
    return props;
  }
}
