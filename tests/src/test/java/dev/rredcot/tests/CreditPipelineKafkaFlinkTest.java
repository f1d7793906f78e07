package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.synthetic.CorruptRecords;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on real infrastructure: an embedded KRaft broker and the credit job on the Flink
 * runner's embedded mini-cluster, bounded by {@code --maxRecords}.
 */
@Tag("slow")
class CreditPipelineKafkaFlinkTest {
  private static final int GROUP_SIZE = 4;
  private static final int GOOD_ROLLOUTS = 24;
  private static final int CORRUPT_RECORDS = 3;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  @Test
  void creditsEveryGoodRolloutOnceAndDeadLettersCorruptOnesWithOriginalBytes(@TempDir Path dataDir)
      throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"))) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      List<Rollout> rollouts =
          SyntheticRollouts.builder()
              .optGroupSize(GROUP_SIZE)
              .optSeed(7)
              .build()
              .generate(GOOD_ROLLOUTS);
      List<CorruptRecords.CorruptRecord> corrupt =
          CorruptRecords.generate(CORRUPT_RECORDS, 11, rollouts.get(0));
      produce(broker.bootstrapServers(), rollouts, corrupt);

      CreditPipelineOptions options =
          PipelineOptionsFactory.fromArgs(
                  "--runner=FlinkRunner",
                  "--flinkMaster=[local]",
                  "--parallelism=2",
                  "--bootstrapServers=" + broker.bootstrapServers(),
                  "--maxRecords=" + (GOOD_ROLLOUTS + CORRUPT_RECORDS),
                  "--groupTimeoutMs=60000")
              .as(CreditPipelineOptions.class);
      PipelineResult result = CreditPipeline.run(options);
      assertEquals(PipelineResult.State.DONE, result.getState());

      RecordCodec<CreditedRollout> creditedCodec = RecordCodec.of(CreditedRollout.class);
      List<CreditedRollout> credited = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> record :
          readAll(broker.bootstrapServers(), Topics.CREDITED_ROLLOUTS, GOOD_ROLLOUTS)) {
        CreditedRollout value = creditedCodec.decode(record.value());
        assertEquals(value.getGroupId(), new String(record.key(), StandardCharsets.UTF_8));
        credited.add(value);
      }
      Set<String> expectedIds =
          rollouts.stream().map(Rollout::getRolloutId).collect(Collectors.toSet());
      List<String> creditedIds =
          credited.stream().map(CreditedRollout::getRolloutId).collect(Collectors.toList());
      assertEquals(GOOD_ROLLOUTS, creditedIds.size(), "no duplicates");
      assertEquals(expectedIds, new HashSet<>(creditedIds));
      for (CreditedRollout value : credited) {
        double sum = value.getSegmentRewards().stream().mapToDouble(Double::doubleValue).sum();
        assertEquals(
            value.getReward() - value.getBoundaryValues().get(0), sum, 1e-9, value.getRolloutId());
        assertTrue(value.getGroupComplete(), value.getRolloutId());
        assertEquals(value.getTokenIds().size(), value.getTokenAdvantages().size());
      }

      RecordCodec<DeadLetter> deadLetterCodec = RecordCodec.of(DeadLetter.class);
      Map<String, DeadLetter> deadLetters = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record :
          readAll(broker.bootstrapServers(), Topics.DEAD_LETTERS, CORRUPT_RECORDS)) {
        DeadLetter letter = deadLetterCodec.decode(record.value());
        deadLetters.put(new String(bytes(letter.getValue()), StandardCharsets.ISO_8859_1), letter);
      }
      assertEquals(CORRUPT_RECORDS, deadLetters.size());
      for (CorruptRecords.CorruptRecord bad : corrupt) {
        DeadLetter letter = deadLetters.get(new String(bad.value(), StandardCharsets.ISO_8859_1));
        assertTrue(letter != null, "dead letter for " + bad.kind());
        assertArrayEquals(bad.value(), bytes(letter.getValue()));
        assertEquals("ParseRollout", letter.getStage());
        assertEquals(Topics.ROLLOUTS, letter.getSourceTopic());
        assertTrue(letter.getSourceOffset() >= 0);
      }
      Map<String, Long> counters = CreditPipeline.counters(result);
      assertEquals(GOOD_ROLLOUTS, counters.get("rollouts-credited"));
    }
  }

  private static void produce(
      String bootstrapServers, List<Rollout> rollouts, List<CorruptRecords.CorruptRecord> corrupt)
      throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Rollout rollout : rollouts) {
        producer.send(
            new ProducerRecord<>(
                Topics.ROLLOUTS,
                rollout.getGroupId().getBytes(StandardCharsets.UTF_8),
                codec.encode(rollout)));
      }
      for (CorruptRecords.CorruptRecord bad : corrupt) {
        producer.send(
            new ProducerRecord<>(
                Topics.ROLLOUTS, "corrupt".getBytes(StandardCharsets.UTF_8), bad.value()));
      }
      producer.flush();
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      String bootstrapServers, String topic, int expected) {
    return TopicRecords.readAll(bootstrapServers, topic, expected, READ_TIMEOUT);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
