package dev.rredcot.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.testing.RepositoryFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Kafka consumer the project creates states its {@code auto.offset.reset}: Kafka's default
 * ({@code latest}) would silently jump past unread records when an offset is out of range.
 * Consumers made through {@code KafkaClients.bytesConsumer} are also checked when they are made (at
 * run time, which a path no test runs would only show in production); this checks every source.
 */
class ConsumerOffsetResetTest {
  private static final List<String> CONSUMER_MAKERS =
      List.of(
          "new KafkaConsumer<",
          "KafkaClients.bytesConsumer(",
          "KafkaIO.readBytes()",
          "KafkaIO.<byte[], byte[]>read");

  @Test
  void everySourceThatMakesAConsumerSetsAutoOffsetReset() throws IOException {
    Path root = RepositoryFiles.root();
    List<String> missing = new ArrayList<>();
    int makers = 0;
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files =
          walk.filter(f -> f.toString().endsWith(".java"))
              .filter(f -> root.relativize(f).toString().contains("src/main/java/"))
              .filter(f -> !root.relativize(f).toString().contains("/target/"))
              .toList();
    }
    for (Path file : files) {
      String text = Files.readString(file);
      if (CONSUMER_MAKERS.stream().noneMatch(text::contains)) {
        continue;
      }
      makers++;
      boolean isTheCheckedFactory = file.endsWith("service/KafkaClients.java");
      if (!isTheCheckedFactory
          && !text.contains("AUTO_OFFSET_RESET_CONFIG")
          && !text.contains("rangeConsumerConfig")) {
        missing.add(root.relativize(file).toString());
      }
    }
    assertTrue(makers >= 10, "found only " + makers + " consumer sources; is the scan broken?");
    assertTrue(missing.isEmpty(), "consumers without an explicit auto.offset.reset: " + missing);
  }
}
