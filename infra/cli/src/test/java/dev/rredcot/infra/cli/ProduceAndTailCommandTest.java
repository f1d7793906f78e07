package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.synthetic.ContractCorpus;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** produce-rollouts and tail through the picocli commands against a real in-process broker. */
@Tag("slow")
class ProduceAndTailCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tempDir;
  private static EmbeddedKafkaBroker kafka;
  private static RredcotHome home;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafkaBroker.start(tempDir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
    home = RredcotHome.at(tempDir.resolve("home"));
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void producesFullGroupsKeyedByGroupIdWithUniqueRolloutIds() throws Exception {
    CliRun produce = run("produce-rollouts", "--count", "24", "--group-size", "4", "--seed", "11");
    assertEquals(0, produce.exitCode(), produce.toString());
    assertTrue(produce.out().contains("wrote 24 rollouts (6 groups of 4, seed 11"), produce.out());

    List<JsonNode> lines = tailLines("rollouts");
    List<JsonNode> ours =
        lines.stream().filter(line -> line.path("key").asText().startsWith("syn-s11-")).toList();
    assertEquals(24, ours.size());
    Set<String> rolloutIds = new HashSet<>();
    Map<String, Set<Integer>> samplesByGroup = new HashMap<>();
    for (JsonNode line : ours) {
      JsonNode value = line.get("value");
      assertEquals(line.get("key").asText(), value.get("groupId").asText());
      assertEquals(4, value.get("groupSize").asInt());
      assertEquals(value.get("tokenIds").size(), value.get("logProbs").size());
      rolloutIds.add(value.get("rolloutId").asText());
      samplesByGroup
          .computeIfAbsent(value.get("groupId").asText(), group -> new HashSet<>())
          .add(value.get("sampleIndex").asInt());
    }
    assertEquals(24, rolloutIds.size());
    assertEquals(6, samplesByGroup.size());
    samplesByGroup.values().forEach(samples -> assertEquals(Set.of(0, 1, 2, 3), samples));
  }

  @Test
  void rejectsACountThatDoesNotFillTheGroupsAsAUsageError() {
    CliRun produce = run("produce-rollouts", "--count", "10", "--group-size", "4");
    assertEquals(2, produce.exitCode(), produce.toString());
    assertTrue(produce.err().contains("not a multiple of the group size 4"), produce.err());
  }

  @Test
  void tailPrintsCorruptRecordsAsErrorsWithTheirOriginalBytes() throws Exception {
    CliRun produce =
        run(
            "produce-rollouts",
            "--count",
            "2",
            "--group-size",
            "2",
            "--corrupt",
            "3",
            "--seed",
            "12");
    assertEquals(0, produce.exitCode(), produce.toString());

    Map<String, byte[]> rawByKey = new HashMap<>();
    for (ConsumerRecord<String, byte[]> record : readRaw(Topics.ROLLOUTS)) {
      rawByKey.put(record.key(), record.value());
    }
    List<JsonNode> corrupt =
        tailLines("rollouts").stream()
            .filter(line -> line.path("key").asText().startsWith("corrupt-"))
            .toList();
    assertEquals(3, corrupt.size());
    Set<String> reasons = new HashSet<>();
    for (JsonNode line : corrupt) {
      assertFalse(line.has("value"), line.toString());
      reasons.add(line.get("error").asText().split(":")[0]);
      byte[] shown = Base64.getDecoder().decode(line.get("valueBase64").asText());
      assertArrayEquals(rawByKey.get(line.get("key").asText()), shown);
    }
    // Random bytes and plain text lack the Avro header; the truncated record has it.
    assertEquals(Set.of("bad-header", "corrupt-bytes"), reasons);
  }

  @Test
  void writesTheContractCorpusInOrderAndSaysWhatTheJobOwesIt() {
    CliRun produce =
        run(
            "produce-rollouts",
            "--corpus",
            "contract",
            "--count",
            "8",
            "--group-size",
            "4",
            "--seed",
            "14");
    assertEquals(0, produce.exitCode(), produce.toString());
    ContractCorpus corpus = ContractCorpus.generate(14, 2, 4, 0);
    assertTrue(
        produce
            .out()
            .contains(
                corpus.entries().size()
                    + " records; the job must credit "
                    + corpus.creditedIds().size()
                    + " rollouts once each (one is also sent twice) and write "
                    + corpus.deadLetterCount()
                    + " dead letters"),
        produce.out());
    // Every record of the corpus under its key (the values differ in createdAtMs from a second
    // build of the corpus).
    List<String> sentKeys = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : readRaw(Topics.ROLLOUTS)) {
      if (record.key().startsWith("contract-") || record.key().startsWith("syn-s14-")) {
        sentKeys.add(record.key());
      }
    }
    List<String> expectedKeys = new ArrayList<>();
    corpus
        .entries()
        .forEach(
            e -> expectedKeys.add(new String(e.key(), java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(expectedKeys.stream().sorted().toList(), sentKeys.stream().sorted().toList());
  }

  @Test
  void rejectsAnUnknownCorpusAsAUsageError() {
    CliRun produce = run("produce-rollouts", "--corpus", "nope", "--count", "8");
    assertEquals(2, produce.exitCode(), produce.toString());
    assertTrue(produce.err().contains("the only corpus is contract"), produce.err());
  }

  @Test
  void tailStopsAfterCount() throws Exception {
    run("produce-rollouts", "--count", "8", "--group-size", "8", "--seed", "13");
    CliRun tail = run("tail", "rollouts", "--count", "3", "--from-beginning");
    assertEquals(0, tail.exitCode(), tail.toString());
    assertEquals(3, tail.outLines().size());
  }

  @Test
  void tailOfAMissingTopicFailsWithOneLineAndNoStackTrace() {
    CliRun tail = run("tail", "no-such-topic", "--timeout-ms", "5000");
    assertEquals(1, tail.exitCode(), tail.toString());
    assertTrue(tail.err().startsWith("rredcot tail: no such topic"), tail.err());
    assertEquals(1, tail.err().strip().lines().count(), tail.err());
  }

  private static CliRun run(String... args) {
    List<String> withBootstrap = new ArrayList<>(List.of(args));
    withBootstrap.add("--bootstrap");
    withBootstrap.add(kafka.bootstrapServers());
    return CliRun.execute(home, withBootstrap.toArray(String[]::new));
  }

  private static List<JsonNode> tailLines(String topic) throws Exception {
    CliRun tail = run("tail", topic);
    assertEquals(0, tail.exitCode(), tail.toString());
    List<JsonNode> lines = new ArrayList<>();
    for (String line : tail.outLines()) {
      lines.add(JSON.readTree(line));
    }
    return lines;
  }

  private static List<ConsumerRecord<String, byte[]>> readRaw(String topic) {
    Properties props = new Properties();
    props.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.setProperty(
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.setProperty(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline
          && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }
}
