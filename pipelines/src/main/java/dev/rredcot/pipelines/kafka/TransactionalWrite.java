package dev.rredcot.pipelines.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes key/value bytes to a topic exactly once for any read_committed consumer, with Kafka
 * transactions tied to Flink checkpoints.
 *
 * <p>How: {@code NumberRecords} gives every record a sequence number in Beam state, under an epoch
 * drawn at the job's first record (a job started without a checkpoint draws a new one). {@code
 * WriteInTransactions} is {@link DoFn.RequiresStableInput}: on Flink it receives a record only
 * after the checkpoint holding that record and its number has completed, and it receives all of a
 * checkpoint's records in one bundle, which it writes in one transaction. The transaction also
 * commits, as the offset metadata of partition 0 of the topic in the consumer group named by {@code
 * transactionalId}, the epoch and the last sequence number written. After a crash the job restores
 * its newest checkpoint and hands the writer the same records with the same numbers again; the
 * writer first reads that metadata and skips what a committed transaction already holds. Opening
 * the producer aborts the transaction the crashed process left open, so consumers are not held up
 * until it times out.
 *
 * <p>Unlike {@code KafkaIO.write().withEOS}, which commits one transaction per element on Flink
 * (its grouping fires once per element, and all of them inside the checkpoint-complete callback),
 * this commits one transaction per checkpoint. One producer writes everything (one transactional
 * id), so records of a sink pass through one task.
 *
 * <p>The guarantee holds when a restart restores the newest completed checkpoint; restoring an
 * older one re-numbers records already written. It needs Flink checkpointing: records are visible
 * to read_committed consumers one checkpoint interval after they are computed at the latest.
 */
final class TransactionalWrite extends PTransform<PCollection<KV<byte[], byte[]>>, PDone> {
  private static final long serialVersionUID = 1L;

  private final String bootstrapServers;
  private final String topic;
  private final String transactionalId;
  private final Map<String, Object> producerConfig;

  /**
   * @param transactionalId the producer's transactional id and the consumer group holding what was
   *     committed; stable across restarts of the job and unique to this sink
   * @param producerConfig further producer settings (security, {@code max.request.size})
   */
  TransactionalWrite(
      String bootstrapServers,
      String topic,
      String transactionalId,
      Map<String, Object> producerConfig) {
    if (transactionalId.isEmpty()) {
      throw new IllegalArgumentException("the transactional id of an exactly-once sink is empty");
    }
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.transactionalId = transactionalId;
    this.producerConfig = new TreeMap<>(producerConfig);
  }

  @Override
  public PDone expand(PCollection<KV<byte[], byte[]>> records) {
    records
        // One key: one sequence and one producer per sink.
        .apply("KeyForSequence", WithKeys.<Integer, KV<byte[], byte[]>>of(0))
        .setCoder(
            KvCoder.of(VarIntCoder.of(), KvCoder.of(ByteArrayCoder.of(), ByteArrayCoder.of())))
        .apply("NumberRecords", ParDo.of(new NumberRecordsFn()))
        .setCoder(NumberedRecord.Coder.INSTANCE)
        .apply(
            "WriteInTransactions",
            ParDo.of(
                new WriteInTransactionsFn(
                    bootstrapServers, topic, transactionalId, producerConfig)));
    return PDone.in(records.getPipeline());
  }

  /** A record with its place in the sink's sequence. */
  record NumberedRecord(long epoch, long sequence, byte[] key, byte[] value) {
    /** Coder of numbered records. */
    static final class Coder extends CustomCoder<NumberedRecord> {
      private static final long serialVersionUID = 1L;
      static final Coder INSTANCE = new Coder();

      @Override
      public void encode(NumberedRecord record, OutputStream out) throws IOException {
        VarLongCoder.of().encode(record.epoch(), out);
        VarLongCoder.of().encode(record.sequence(), out);
        ByteArrayCoder.of().encode(record.key(), out);
        ByteArrayCoder.of().encode(record.value(), out);
      }

      @Override
      public NumberedRecord decode(InputStream in) throws IOException {
        return new NumberedRecord(
            VarLongCoder.of().decode(in),
            VarLongCoder.of().decode(in),
            ByteArrayCoder.of().decode(in),
            ByteArrayCoder.of().decode(in));
      }

      @Override
      public void verifyDeterministic() {}
    }
  }

  /** Numbers the records, in state that the checkpoints hold together with the records. */
  static final class NumberRecordsFn extends DoFn<KV<Integer, KV<byte[], byte[]>>, NumberedRecord> {
    private static final long serialVersionUID = 1L;
    private static final SecureRandom EPOCHS = new SecureRandom();

    @StateId("epoch")
    private final StateSpec<ValueState<Long>> epochSpec = StateSpecs.value(VarLongCoder.of());

    @StateId("next")
    private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void processElement(
        @Element KV<Integer, KV<byte[], byte[]>> element,
        @StateId("epoch") ValueState<Long> epochState,
        @StateId("next") ValueState<Long> nextState,
        OutputReceiver<NumberedRecord> out) {
      Long epoch = epochState.read();
      if (epoch == null) {
        // Positive, so that it never equals NO_EPOCH.
        epoch = EPOCHS.nextLong() & Long.MAX_VALUE;
        epochState.write(epoch);
      }
      Long next = nextState.read();
      long sequence = next == null ? 0 : next;
      nextState.write(sequence + 1);
      KV<byte[], byte[]> record = element.getValue();
      out.output(new NumberedRecord(epoch, sequence, record.getKey(), record.getValue()));
    }
  }

  /** Writes each bundle of stable records in one transaction, skipping those already committed. */
  static final class WriteInTransactionsFn extends DoFn<NumberedRecord, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WriteInTransactionsFn.class);
    private static final long NO_EPOCH = -1;
    private static final String METADATA_PREFIX = "rredcot-eos-v1 ";

    private final String bootstrapServers;
    private final String topic;
    private final String transactionalId;
    private final Map<String, Object> producerConfig;
    private final Counter written = Metrics.counter(TransactionalWrite.class, "records-written");
    private final Counter skipped =
        Metrics.counter(TransactionalWrite.class, "records-already-committed");
    private final Counter transactions = Metrics.counter(TransactionalWrite.class, "transactions");

    private transient @Nullable KafkaProducer<byte[], byte[]> producer;
    private transient long committedEpoch;
    private transient long committedSequence;
    private transient boolean inTransaction;
    private transient long pendingEpoch;
    private transient long pendingSequence;
    private transient long skippedInBundle;

    WriteInTransactionsFn(
        String bootstrapServers,
        String topic,
        String transactionalId,
        Map<String, Object> producerConfig) {
      this.bootstrapServers = bootstrapServers;
      this.topic = topic;
      this.transactionalId = transactionalId;
      this.producerConfig = producerConfig;
    }

    @StartBundle
    public void startBundle() {
      skippedInBundle = 0;
    }

    @RequiresStableInput
    @ProcessElement
    public void processElement(@Element NumberedRecord record) {
      KafkaProducer<byte[], byte[]> open = open();
      if (record.epoch() == committedEpoch && record.sequence() <= committedSequence) {
        skipped.inc();
        skippedInBundle++;
        return;
      }
      if (record.epoch() == committedEpoch && record.sequence() != committedSequence + 1) {
        LOG.warn(
            "{}: record {} follows {} in epoch {}: records in between were never written",
            transactionalId,
            record.sequence(),
            committedSequence,
            Long.toHexString(record.epoch()));
      }
      try {
        if (!inTransaction) {
          open.beginTransaction();
          inTransaction = true;
        }
        open.send(new ProducerRecord<>(topic, record.key(), record.value()));
      } catch (KafkaException e) {
        abandon(e);
        throw e;
      }
      written.inc();
      pendingEpoch = record.epoch();
      pendingSequence = record.sequence();
      // Later records of this bundle compare against what this transaction will have committed.
      committedEpoch = pendingEpoch;
      committedSequence = pendingSequence;
    }

    @FinishBundle
    public void finishBundle() {
      if (skippedInBundle > 0) {
        LOG.info(
            "{}: skipped {} records that a committed transaction already holds (a replay after a"
                + " restart)",
            transactionalId,
            skippedInBundle);
      }
      KafkaProducer<byte[], byte[]> open = producer;
      if (!inTransaction || open == null) {
        return;
      }
      try {
        open.sendOffsetsToTransaction(
            Map.of(
                new TopicPartition(topic, 0),
                new OffsetAndMetadata(0, metadata(pendingEpoch, pendingSequence))),
            new ConsumerGroupMetadata(transactionalId));
        open.commitTransaction();
        inTransaction = false;
        transactions.inc();
      } catch (KafkaException e) {
        abandon(e);
        throw e;
      }
    }

    @Teardown
    public void teardown() {
      KafkaProducer<byte[], byte[]> open = producer;
      producer = null;
      if (open != null) {
        // An open transaction here belongs to a failed bundle: the restarted writer aborts it.
        open.close();
      }
    }

    /**
     * The producer, opened on first use: fences and aborts what an earlier instance left open, then
     * reads what the committed transactions hold.
     */
    private KafkaProducer<byte[], byte[]> open() {
      KafkaProducer<byte[], byte[]> open = producer;
      if (open != null) {
        return open;
      }
      Map<String, Object> config = new HashMap<>(producerConfig);
      config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      config.put(ProducerConfig.ACKS_CONFIG, "all");
      config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      open = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
      try {
        open.initTransactions();
        long[] committed = readCommitted();
        committedEpoch = committed[0];
        committedSequence = committed[1];
      } catch (RuntimeException e) {
        open.close();
        throw e;
      }
      inTransaction = false;
      LOG.info(
          "{}: transactional producer for {} open; committed so far: {}",
          transactionalId,
          topic,
          committedEpoch == NO_EPOCH
              ? "nothing"
              : "epoch " + Long.toHexString(committedEpoch) + " up to record " + committedSequence);
      producer = open;
      return open;
    }

    /** {epoch, last sequence} from the group's offset metadata; {NO_EPOCH, -1} when none. */
    private long[] readCommitted() {
      Map<String, Object> config = new HashMap<>();
      for (Map.Entry<String, Object> entry : producerConfig.entrySet()) {
        if (ConsumerConfig.configNames().contains(entry.getKey())) {
          config.put(entry.getKey(), entry.getValue());
        }
      }
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      config.put(ConsumerConfig.GROUP_ID_CONFIG, transactionalId);
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      // It only reads the group's committed offset and never fetches: no position to reset.
      config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
      // Waits for offsets of a transaction still being completed rather than reading stale ones.
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      TopicPartition partition = new TopicPartition(topic, 0);
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        OffsetAndMetadata committed = consumer.committed(Set.of(partition)).get(partition);
        if (committed == null
            || committed.metadata() == null
            || !committed.metadata().startsWith(METADATA_PREFIX)) {
          return new long[] {NO_EPOCH, -1};
        }
        String[] fields = committed.metadata().substring(METADATA_PREFIX.length()).split(" ");
        return new long[] {Long.parseUnsignedLong(fields[0], 16), Long.parseLong(fields[1])};
      }
    }

    private static String metadata(long epoch, long sequence) {
      return METADATA_PREFIX + Long.toHexString(epoch) + " " + sequence;
    }

    /** Drops the producer after a failure; the bundle is retried with a new one. */
    private void abandon(KafkaException cause) {
      KafkaProducer<byte[], byte[]> open = producer;
      producer = null;
      inTransaction = false;
      if (open == null) {
        return;
      }
      if (!(cause instanceof ProducerFencedException)) {
        try {
          open.abortTransaction();
        } catch (KafkaException | IllegalStateException e) {
          LOG.debug("{}: abort after failure failed too", transactionalId, e);
        }
      }
      open.close();
    }
  }
}
