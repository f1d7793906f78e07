package dev.rredcot.infra.bench;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The throughput half of the {@link PipelineBenchmark}: wall-clock figures of the credit job on an
 * embedded broker and of the {@link BareCreditLoop}, measured in interleaved rounds.
 */
record PipelineThroughput(
    double steadyRolloutsPerS,
    double bareRolloutsPerS,
    List<Double> pipelineByRound,
    List<Double> bareByRound,
    double coldRolloutsPerS,
    double startupS,
    double pipelineS,
    double pipelineScoringS,
    double bareS,
    double bareScoringS) {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineThroughput.class);
  private static final long JOB_START_TIMEOUT_MS = 300_000;

  /**
   * Starts the job, sends the warm-up batch and waits for it, then runs {@code options.rounds()}
   * rounds of the timed rollouts (relabelled per round so that every round is new groups): through
   * the pipeline, then through the bare loop while the job idles. Interleaving keeps the load of a
   * shared machine from landing on one side only.
   */
  static PipelineThroughput measure(
      PipelineBenchmarkOptions options,
      Path kafkaDir,
      Path store,
      List<Rollout> warmUp,
      List<Rollout> timed,
      BareCreditLoop bare,
      Policy barePolicy)
      throws IOException {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaDir)) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      CreditPipelineOptions pipelineOptions =
          options.creditJobOptions(store, broker.bootstrapServers());
      List<ProducerRecord<byte[], byte[]>> warmUpRecords = records(warmUp);
      long submitNanos = System.nanoTime();
      PipelineResult job = CreditPipeline.run(pipelineOptions);
      try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers());
          CreditedRolloutsReader reader =
              new CreditedRolloutsReader(broker.bootstrapServers(), Topics.CREDITED_ROLLOUTS)) {
        send(producer, warmUpRecords);
        CreditedRolloutsReader.Arrival warm = reader.awaitAll(ids(warmUp), JOB_START_TIMEOUT_MS);
        double startupS = (warm.firstNanos() - submitNanos) / 1e9;
        LOG.info(
            "pipeline warm: first credited record {} s after submission, warm-up batch done {} s",
            startupS,
            (warm.lastNanos() - submitNanos) / 1e9);
        List<Double> pipelineByRound = new ArrayList<>();
        List<Double> bareByRound = new ArrayList<>();
        double pipelineS = 0;
        double bareS = 0;
        double coldRolloutsPerS = 0;
        double pipelineScoringMs = 0;
        double bareScoringMsBefore = bare.scoringMs();
        for (int round = 0; round < options.rounds(); round++) {
          List<Rollout> batch = relabel(timed, "r" + round);
          List<ProducerRecord<byte[], byte[]>> batchRecords = records(batch);
          long startNanos = System.nanoTime();
          send(producer, batchRecords);
          CreditedRolloutsReader.Arrival arrival =
              reader.awaitAll(ids(batch), 60_000 + 1_000L * batch.size());
          double roundS = (arrival.lastNanos() - startNanos) / 1e9;
          if (round == 0) {
            coldRolloutsPerS =
                (warmUp.size() + batch.size()) / ((arrival.lastNanos() - submitNanos) / 1e9);
          }
          long bareStartNanos = System.nanoTime();
          bare.credit(barePolicy, batch);
          double bareRoundS = PipelineBenchmark.seconds(bareStartNanos);
          pipelineS += roundS;
          // TraceCredit records the EstimateValues time of each trace under "value".
          pipelineScoringMs += arrival.stageMs().getOrDefault("value", 0.0);
          bareS += bareRoundS;
          pipelineByRound.add(batch.size() / roundS);
          bareByRound.add(batch.size() / bareRoundS);
          LOG.info(
              "round {}: pipeline {} rollouts/s, bare loop {} rollouts/s",
              round,
              batch.size() / roundS,
              batch.size() / bareRoundS);
        }
        int total = timed.size() * options.rounds();
        return new PipelineThroughput(
            total / pipelineS,
            total / bareS,
            pipelineByRound,
            bareByRound,
            coldRolloutsPerS,
            startupS,
            pipelineS,
            pipelineScoringMs / 1e3,
            bareS,
            (bare.scoringMs() - bareScoringMsBefore) / 1e3);
      } catch (TimeoutException e) {
        throw new IllegalStateException("credit job too slow or stuck: " + e.getMessage(), e);
      } finally {
        cancel(job);
      }
    }
  }

  /** About {@code count} rollouts (whole groups): copies of the timed ones as new groups. */
  static List<Rollout> warmUpBatch(List<Rollout> timed, int count) {
    List<Rollout> warmUp = new ArrayList<>();
    for (int copy = 0; warmUp.size() < count; copy++) {
      List<Rollout> copies = relabel(timed, "w" + copy);
      int whole =
          Math.min(
              copies.size(),
              (count - warmUp.size() + PipelineBenchmark.GROUP_SIZE - 1)
                  / PipelineBenchmark.GROUP_SIZE
                  * PipelineBenchmark.GROUP_SIZE);
      warmUp.addAll(copies.subList(0, whole));
    }
    return warmUp;
  }

  /** The same rollouts as new groups: ids get a round suffix, everything else is kept. */
  private static List<Rollout> relabel(List<Rollout> rollouts, String label) {
    List<Rollout> relabelled = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      String groupId = rollout.getGroupId() + "~" + label;
      relabelled.add(
          Rollout.newBuilder(rollout)
              .setGroupId(groupId)
              .setRolloutId(groupId + "/" + rollout.getSampleIndex())
              .build());
    }
    return relabelled;
  }

  private static void cancel(PipelineResult job) {
    try {
      job.cancel();
      LOG.info("credit job cancelled: {}", job.waitUntilFinish(Duration.standardSeconds(30)));
    } catch (IllegalStateException e) {
      // The detached local mini-cluster shuts down with its only job, so asking it for the job's
      // state after the cancellation fails: the job is gone.
      LOG.info("credit job cancelled; its local cluster is shut down ({})", e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("cancelling the credit job failed: {}", e.toString());
    }
  }

  private static List<ProducerRecord<byte[], byte[]>> records(List<Rollout> rollouts) {
    RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      records.add(
          new ProducerRecord<>(
              Topics.ROLLOUTS,
              rollout.getGroupId().getBytes(StandardCharsets.UTF_8),
              codec.encode(rollout)));
    }
    return records;
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(
        KafkaClients.secured(props), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void send(
      KafkaProducer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> records) {
    for (ProducerRecord<byte[], byte[]> record : records) {
      producer.send(record);
    }
    producer.flush();
  }

  private static List<String> ids(List<Rollout> rollouts) {
    return rollouts.stream().map(Rollout::getRolloutId).collect(Collectors.toList());
  }
}
