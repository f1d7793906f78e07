package dev.rredcot.model.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {

  @Test
  void aConsumerWithoutAnExplicitOffsetResetIsRefused() {
    Properties props = KafkaClients.manualCommitConsumerProps("127.0.0.1:1");
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> KafkaClients.bytesConsumer(props));
    assertTrue(error.getMessage().contains("auto.offset.reset"), error.getMessage());
  }

  @Test
  void aConsumerThatStatesItsOffsetResetIsMade() {
    Properties props = KafkaClients.manualCommitConsumerProps("127.0.0.1:1");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(props)) {
      assertEquals(0, consumer.assignment().size());
    }
  }
}
