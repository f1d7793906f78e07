package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.synthetic.ContractCorpus;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contract corpus through the live credit job: an unbounded job on the Flink runner's embedded
 * mini-cluster reads a real broker's rollouts topic while the corpus is written to it; every good
 * rollout is credited once, every bad record is dead-lettered with its reason and none is credited,
 * counted by rollout id (by bytes for records that do not decode); the job is still running
 * afterwards and credits a group sent after the corpus.
 */
@Tag("slow")
class ContractCorpusKafkaFlinkTest {
  private static final Logger LOG = LoggerFactory.getLogger(ContractCorpusKafkaFlinkTest.class);
  private static final long MAX_RECORD_BYTES = ContractCorpus.MIN_RECORD_LIMIT;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(240);
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED =
      RecordCodec.of(CreditedRollout.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);

  @Test
  void everyBadRecordIsDeadLetteredEveryGoodOneCreditedAndTheJobKeepsRunning(@TempDir Path dir)
      throws Exception {
    ContractCorpus corpus = ContractCorpus.generate(31, 6, 4, MAX_RECORD_BYTES);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      CreditPipelineOptions options =
          PipelineOptionsFactory.fromArgs(
                  "--runner=FlinkRunner",
                  "--flinkMaster=[local]",
                  "--parallelism=2",
                  "--streaming=true",
                  "--attachedMode=false",
                  "--bootstrapServers=" + broker.bootstrapServers(),
                  "--consumerGroupId=",
                  "--maxRecordBytes=" + MAX_RECORD_BYTES,
                  "--groupTimeoutMs=60000")
              .as(CreditPipelineOptions.class);
      PipelineResult job = CreditPipeline.run(options);
      try {
        awaitRunning(job);
        List<byte[][]> records = new ArrayList<>();
        corpus.entries().forEach(e -> records.add(new byte[][] {e.key(), e.value()}));
        TopicRecords.write(broker.bootstrapServers(), Topics.ROLLOUTS, records);

        List<String> credited = creditedIds(broker, corpus.creditedIds().size());
        assertEquals(corpus.creditedIds().size(), credited.size(), "each credited once");
        assertEquals(corpus.creditedIds(), new HashSet<>(credited));

        List<DeadLetter> letters = deadLetters(broker.bootstrapServers(), corpus.deadLetterCount());
        assertEquals(corpus.deadLetterCount(), letters.size());
        Map<String, String> reasonById = new TreeMap<>();
        Map<String, String> reasonByBytes = new HashMap<>();
        Map<String, Integer> byReason = new TreeMap<>();
        for (DeadLetter letter : letters) {
          String reason = letter.getStage() + "/" + letter.getReason();
          byReason.merge(reason, 1, Integer::sum);
          byte[] value = DeadLetters.valueBytes(letter);
          String id = rolloutId(value);
          if (id != null && letter.getReason().equals("record-too-large")) {
            id = null; // never decoded by the job: found by its bytes
          }
          if (id != null) {
            String previous = reasonById.put(id, reason);
            assertTrue(previous == null || previous.equals(reason), id + ": " + previous);
          } else {
            reasonByBytes.put(Base64.getEncoder().encodeToString(value), reason);
          }
        }
        Map<String, String> expectedById = new TreeMap<>();
        Map<String, String> expectedByBytes = new HashMap<>();
        for (ContractCorpus.Entry entry : corpus.entries()) {
          if (entry.outcome() != ContractCorpus.Outcome.DEAD_LETTER) {
            continue;
          }
          String reason = entry.stage() + "/" + entry.reason();
          if (entry.rolloutId() != null) {
            expectedById.put(entry.rolloutId(), reason);
          } else {
            expectedByBytes.put(Base64.getEncoder().encodeToString(entry.value()), reason);
          }
        }
        assertEquals(expectedById, reasonById);
        assertEquals(expectedByBytes, reasonByBytes);
        LOG.info(
            "contract corpus: {} records, {} rollouts credited, {} dead letters by reason {}",
            corpus.entries().size(),
            credited.size(),
            letters.size(),
            byReason);

        assertEquals(PipelineResult.State.RUNNING, job.getState());
        // Still crediting: a group sent after the corpus comes out.
        List<Rollout> after =
            SyntheticRollouts.builder().optSeed(99).optGroupSize(4).build().generate(4);
        List<byte[][]> afterRecords = new ArrayList<>();
        for (Rollout rollout : after) {
          afterRecords.add(
              new byte[][] {
                rollout.getGroupId().getBytes(StandardCharsets.UTF_8), ROLLOUTS.encode(rollout)
              });
        }
        TopicRecords.write(broker.bootstrapServers(), Topics.ROLLOUTS, afterRecords);
        Set<String> expectedAfter = new TreeSet<>(corpus.creditedIds());
        after.forEach(r -> expectedAfter.add(r.getRolloutId()));
        assertEquals(expectedAfter, new TreeSet<>(creditedIds(broker, expectedAfter.size())));
        assertEquals(PipelineResult.State.RUNNING, job.getState());
      } finally {
        job.cancel();
      }
    }
  }

  private static void awaitRunning(PipelineResult job) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (job.getState() != PipelineResult.State.RUNNING && System.nanoTime() < deadline) {
      assertTrue(!job.getState().isTerminal(), "job ended: " + job.getState());
      Thread.sleep(200);
    }
    assertEquals(PipelineResult.State.RUNNING, job.getState());
  }

  private static List<String> creditedIds(EmbeddedKafkaBroker broker, int expected) {
    List<String> ids = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record :
        TopicRecords.readAll(
            broker.bootstrapServers(), Topics.CREDITED_ROLLOUTS, expected, READ_TIMEOUT)) {
      ids.add(CREDITED.decode(record.value()).getRolloutId());
    }
    return ids;
  }

  private static List<DeadLetter> deadLetters(String bootstrapServers, int expected) {
    List<DeadLetter> letters = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record :
        TopicRecords.readAll(bootstrapServers, Topics.DEAD_LETTERS, expected, READ_TIMEOUT)) {
      letters.add(DEAD_LETTERS.decode(record.value()));
    }
    return letters;
  }

  private static String rolloutId(byte[] value) {
    try {
      return ROLLOUTS.decode(value).getRolloutId();
    } catch (RecordDecodingException e) {
      return null;
    }
  }
}
