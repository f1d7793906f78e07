package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.infra.records.RecordJson;
import dev.rredcot.model.service.KafkaClients;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot tail TOPIC}: prints a topic's records as JSON lines, decoded with its type. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Print a topic's records, one JSON object per line, decoded with the topic's Avro type.",
      "Records that do not decode are printed with an error and their bytes in base64."
    })
final class TailCommand implements Callable<Integer> {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption;

  @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic to read, e.g. rollouts.")
  String topic;

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "Stop after N records (default: no limit).")
  Integer count;

  static final class StartPosition {
    @Option(
        names = "--from-beginning",
        description =
            "Read from the earliest offset up to the end offsets seen at start (default).")
    boolean fromBeginning;

    @Option(
        names = "--follow",
        description = "Print only records written from now on, until --count or Ctrl-C.")
    boolean follow;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  StartPosition startPosition;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      description =
          "Stop after MS milliseconds (default: 30000 from the beginning; no bound with --follow).")
  Long timeoutMs;

  @Override
  public Integer call() {
    if (count != null && count < 1) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--count must be at least 1, got " + count);
    }
    boolean follow = startPosition != null && startPosition.follow;
    long timeout = timeoutMs != null ? timeoutMs : follow ? Long.MAX_VALUE : 30_000L;
    String bootstrap = bootstrapOption.resolveReachable(cli.home());
    PrintWriter out = spec.commandLine().getOut();
    RecordJson json = RecordJson.forTopic(topic);

    List<Long> endOffsets;
    try (TopicAdmin admin = TopicAdmin.connect(bootstrap, ADMIN_TIMEOUT)) {
      endOffsets = admin.describe(List.of(topic)).get(0).endOffsets();
    }
    List<TopicPartition> partitions = new ArrayList<>();
    Map<TopicPartition, Long> stopAt = new HashMap<>();
    for (int partition = 0; partition < endOffsets.size(); partition++) {
      TopicPartition topicPartition = new TopicPartition(topic, partition);
      partitions.add(topicPartition);
      stopAt.put(topicPartition, endOffsets.get(partition));
    }

    long printed = 0;
    long deadline =
        timeout == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeout * 1_000_000L;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap))) {
      consumer.assign(partitions);
      if (follow) {
        stopAt.forEach(consumer::seek);
      } else {
        consumer.seekToBeginning(partitions);
      }
      while (System.nanoTime() < deadline) {
        if (!follow && reachedEnd(consumer, stopAt)) {
          break;
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          if (!follow
              && record.offset() >= stopAt.get(new TopicPartition(topic, record.partition()))) {
            continue;
          }
          out.println(json.toJsonLine(record));
          printed++;
          if (count != null && printed >= count) {
            out.flush();
            return 0;
          }
        }
        out.flush();
      }
    }
    out.flush();
    return 0;
  }

  private static boolean reachedEnd(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> stopAt) {
    for (Map.Entry<TopicPartition, Long> entry : stopAt.entrySet()) {
      if (consumer.position(entry.getKey()) < entry.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static Properties consumerProps(String bootstrap) {
    Properties props = new Properties();
    props.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.setProperty(
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.setProperty(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Shows what the project's consumers see: not the records of aborted transactions (the credit
    // job's writes before a crash), and those of an open one only once it commits.
    props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // A viewer: when retention deletes the first records it was to print, it prints from the
    // first record kept rather than failing.
    props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "rredcot-tail");
    props.setProperty(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    return KafkaClients.secured(props);
  }
}
