package dev.rredcot.infra.compare;

import dev.rredcot.model.service.OffsetOutOfRange;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.replay.KafkaRange;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One side of a comparison: {@code file:PREFIX} (the Avro files {@code replay --out file:PREFIX}
 * writes, {@code PREFIX-*.avro} without the dead letters' {@code PREFIX-dead-letters-*.avro}), or a
 * topic, whole or a range {@code TOPIC@FROM..TO} with replay's positions (partition:offset lists or
 * ISO-8601 times; either end may be left out).
 */
public record CreditedSource(String spec) {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** Whether it reads files (no broker needed). */
  public boolean isFiles() {
    return spec.startsWith("file:");
  }

  /**
   * Reads every record of the side.
   *
   * @throws IllegalArgumentException for a malformed spec, no files, or a range not read in time
   */
  public List<CreditedRollout> read(String bootstrapServers, Map<String, String> clientConfig)
      throws IOException {
    return isFiles()
        ? readFiles(spec.substring("file:".length()))
        : readTopic(bootstrapServers, clientConfig);
  }

  static List<CreditedRollout> readFiles(String prefix) throws IOException {
    Path prefixPath = Path.of(prefix).toAbsolutePath();
    Path dir = prefixPath.getParent();
    String glob = prefixPath.getFileName() + "-*.avro";
    List<Path> files = new ArrayList<>();
    if (dir != null && Files.isDirectory(dir)) {
      // The replay's dead letters sit next to them, under PREFIX-dead-letters.
      String deadLetters = prefixPath.getFileName() + CreditPipeline.DEAD_LETTER_FILE_SUFFIX + "-";
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
        stream.forEach(
            file -> {
              if (!file.getFileName().toString().startsWith(deadLetters)) {
                files.add(file);
              }
            });
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no files " + dir + "/" + glob);
    }
    files.sort(null);
    List<CreditedRollout> records = new ArrayList<>();
    for (Path file : files) {
      try (DataFileReader<CreditedRollout> reader =
          new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(CreditedRollout.class))) {
        reader.forEach(records::add);
      }
    }
    return records;
  }

  private List<CreditedRollout> readTopic(
      String bootstrapServers, Map<String, String> clientConfig) {
    int at = spec.indexOf('@');
    String topic = at < 0 ? spec : spec.substring(0, at);
    String from = "";
    String to = "";
    if (at >= 0) {
      String range = spec.substring(at + 1);
      int dots = range.indexOf("..");
      if (dots < 0) {
        throw new IllegalArgumentException(
            "'" + spec + "': a topic range is TOPIC@FROM..TO (either end may be empty)");
      }
      from = range.substring(0, dots);
      to = range.substring(dots + 2);
    }
    KafkaRange range =
        KafkaRange.resolve(
            bootstrapServers,
            clientConfig,
            topic,
            KafkaRange.isTime(from) ? "" : from,
            KafkaRange.isTime(to) ? "" : to,
            KafkaRange.isTime(from) ? from : "",
            KafkaRange.isTime(to) ? to : "");
    Properties props = new Properties();
    props.putAll(clientConfig);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // A compared range whose records were deleted is an error, not other records compared.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);
    List<CreditedRollout> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<Integer, long[]> offsets = range.offsets();
      List<TopicPartition> partitions = new ArrayList<>();
      offsets.forEach(
          (partition, span) -> {
            if (span[1] > span[0]) {
              partitions.add(new TopicPartition(topic, partition));
            }
          });
      consumer.assign(partitions);
      for (TopicPartition partition : partitions) {
        consumer.seek(partition, offsets.get(partition.partition())[0]);
      }
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      // Done when every partition's position passed its stop: transaction markers take offsets
      // that never arrive as records, so counting records would wait for ever.
      while (!partitions.stream()
          .allMatch(tp -> consumer.position(tp) >= offsets.get(tp.partition())[1])) {
        if (System.nanoTime() > deadline) {
          throw new IllegalArgumentException(
              topic + ": the range was not read within " + TIMEOUT.toSeconds() + " s");
        }
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(POLL);
        } catch (OffsetOutOfRangeException e) {
          throw OffsetOutOfRange.error("compare " + topic, consumer, e);
        }
        for (ConsumerRecord<byte[], byte[]> record : polled) {
          if (record.offset() < offsets.get(record.partition())[1]) {
            records.add(codec.decode(record.value()));
          }
        }
      }
    }
    return records;
  }
}
