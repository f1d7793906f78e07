package dev.rredcot.pipelines.kafka;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes Avro records to a topic as single-object-encoded bytes ({@link RecordCodec}), keyed by a
 * string taken from each record.
 *
 * <p>Delivery is at least once by default (acks=all, idempotent producer, no Kafka transactions):
 * after a crash, what was written since the last Flink checkpoint is written again, possibly with
 * other values, and consumers must deduplicate by the record's stable id. {@link #withExactlyOnce}
 * writes in Kafka transactions committed after each checkpoint instead ({@link
 * TransactionalWrite}): a read_committed consumer then sees every record once across crashes, one
 * checkpoint interval later at most. Beam's own {@code KafkaIO.write().withEOS} is not used: on
 * Flink it commits one transaction per record, all inside the checkpoint-complete callback
 * (docs/BENCHMARKS.md).
 *
 * <p>A record that would not fit in one Kafka message ({@link #withMaxMessageBytes}) does not fail
 * the producer: it becomes a dead letter (stage {@value #STAGE}, reason {@value #RECORD_TOO_LARGE})
 * on the dead-letter topic. A dead letter that would not fit keeps only the first bytes of its
 * value that fit, and its message states the original size.
 */
public final class WriteRecords<T extends SpecificRecord>
    extends PTransform<PCollection<T>, PDone> {
  private static final long serialVersionUID = 1L;

  /** Stage name of the dead letters of records too large to write. */
  public static final String STAGE = "WriteRecords";

  /** Dead-letter reason of a record too large for one Kafka message. */
  public static final String RECORD_TOO_LARGE = "record-too-large";

  /** Kafka's default {@code max.request.size}: 1 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

  // Room for the record batch and record headers Kafka adds around key and value.
  private static final int RECORD_OVERHEAD_BYTES = 256;
  private static final int MAX_ERROR_MESSAGE_CHARS = 4096;

  private final String bootstrapServers;
  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> keyOf;
  // Set only on a fresh copy by the with… methods, never after the transform is built.
  private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  private @Nullable String deadLetterTopic;
  private Map<String, String> clientConfig = Map.of();
  private @Nullable String transactionalId;

  private WriteRecords(
      String bootstrapServers, String topic, Class<T> type, SerializableFunction<T, String> keyOf) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.type = type;
    this.keyOf = keyOf;
  }

  private WriteRecords<T> copy() {
    WriteRecords<T> copy = new WriteRecords<>(bootstrapServers, topic, type, keyOf);
    copy.maxMessageBytes = maxMessageBytes;
    copy.deadLetterTopic = deadLetterTopic;
    copy.clientConfig = clientConfig;
    copy.transactionalId = transactionalId;
    return copy;
  }

  /** Writes {@code type} records to {@code topic}, keyed by {@code keyOf}. */
  public static <T extends SpecificRecord> WriteRecords<T> of(
      String bootstrapServers, String topic, Class<T> type, SerializableFunction<T, String> keyOf) {
    return new WriteRecords<>(bootstrapServers, topic, type, keyOf);
  }

  /** Largest message written (also the producer's {@code max.request.size}). */
  public WriteRecords<T> withMaxMessageBytes(int value) {
    if (value <= RECORD_OVERHEAD_BYTES) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be > " + RECORD_OVERHEAD_BYTES + ", got " + value);
    }
    WriteRecords<T> copy = copy();
    copy.maxMessageBytes = value;
    return copy;
  }

  /**
   * Where records too large to write go as dead letters; required unless the records are dead
   * letters themselves (without it an oversized record fails the job, as Kafka would).
   */
  public WriteRecords<T> withDeadLetterTopic(String value) {
    WriteRecords<T> copy = copy();
    copy.deadLetterTopic = value;
    return copy;
  }

  /** Client properties (security settings) added to the producer's configuration. */
  public WriteRecords<T> withClientConfig(Map<String, String> value) {
    WriteRecords<T> copy = copy();
    copy.clientConfig = new TreeMap<>(value);
    return copy;
  }

  /**
   * Writes exactly once for read_committed consumers, in Kafka transactions committed after each
   * Flink checkpoint ({@link TransactionalWrite}); needs checkpointing on Flink. {@code
   * transactionalId} must stay the same across restarts of the job and differ between sinks; the
   * dead letters of records too large to write use {@code transactionalId + }{@value
   * #TOO_LARGE_SUFFIX}.
   */
  public WriteRecords<T> withExactlyOnce(String value) {
    WriteRecords<T> copy = copy();
    copy.transactionalId = value;
    return copy;
  }

  /** Suffix of the transactional id of the too-large dead letters of an exactly-once sink. */
  public static final String TOO_LARGE_SUFFIX = ".too-large";

  /** The delivery guarantee of this sink. */
  public DeliveryGuarantee deliveryGuarantee() {
    return transactionalId == null
        ? DeliveryGuarantee.AT_LEAST_ONCE
        : DeliveryGuarantee.EXACTLY_ONCE;
  }

  /**
   * Whether a record of {@code keyBytes} and {@code valueBytes} fits in one message of {@code
   * maxMessageBytes} with Kafka's framing: the one rule for this sink and for stages that must know
   * before they emit (see {@code ComputeAdvantages} of the stage package).
   */
  public static boolean fits(int keyBytes, int valueBytes, int maxMessageBytes) {
    return (long) keyBytes + valueBytes + RECORD_OVERHEAD_BYTES <= maxMessageBytes;
  }

  /** Encoded records that fit in one message. */
  static final TupleTag<KV<byte[], byte[]>> FITS = new TupleTag<KV<byte[], byte[]>>() {};

  /** Dead letters of records that do not. */
  static final TupleTag<DeadLetter> TOO_LARGE = new TupleTag<DeadLetter>() {};

  @Override
  public PDone expand(PCollection<T> records) {
    PCollectionTuple encoded = encode(records);
    if (deadLetterTopic != null) {
      WriteRecords<DeadLetter> deadLetters =
          WriteRecords.of(bootstrapServers, deadLetterTopic, DeadLetter.class, DeadLetter::getStage)
              .withMaxMessageBytes(maxMessageBytes)
              .withClientConfig(clientConfig);
      if (transactionalId != null) {
        deadLetters = deadLetters.withExactlyOnce(transactionalId + TOO_LARGE_SUFFIX);
      }
      encoded.get(TOO_LARGE).apply("WriteTooLargeAsDeadLetters", deadLetters);
    }
    PCollection<KV<byte[], byte[]>> fitting = encoded.get(FITS);
    if (transactionalId != null) {
      fitting.apply(
          "WriteKafkaTransactions",
          new TransactionalWrite(bootstrapServers, topic, transactionalId, producerConfig()));
      return PDone.in(records.getPipeline());
    }
    return fitting.apply("WriteKafka", producer(topic));
  }

  private Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxMessageBytes);
    return config;
  }

  /** Encodes the records: {@link #FITS} what fits in one message, {@link #TOO_LARGE} the rest. */
  PCollectionTuple encode(PCollection<T> records) {
    TupleTag<KV<byte[], byte[]>> fits = FITS;
    TupleTag<DeadLetter> tooLarge = TOO_LARGE;
    PCollectionTuple encoded =
        records.apply(
            "EncodeAvro",
            ParDo.of(
                    new EncodeFn<>(
                        type,
                        keyOf,
                        topic,
                        maxMessageBytes,
                        deadLetterTopic != null,
                        fits,
                        tooLarge))
                .withOutputTags(fits, TupleTagList.of(tooLarge)));
    encoded.get(tooLarge).setCoder(DeadLetters.coder());
    encoded.get(fits).setCoder(KvCoder.of(ByteArrayCoder.of(), ByteArrayCoder.of()));
    return encoded;
  }

  private KafkaIO.Write<byte[], byte[]> producer(String target) {
    Map<String, Object> config = producerConfig();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return KafkaIO.<byte[], byte[]>write()
        .withBootstrapServers(bootstrapServers)
        .withTopic(target)
        .withKeySerializer(ByteArraySerializer.class)
        .withValueSerializer(ByteArraySerializer.class)
        .withProducerConfigUpdates(config);
  }

  /** Encodes a record, or routes it to the dead letters (or shrinks it) when it is too large. */
  private static final class EncodeFn<T extends SpecificRecord>
      extends DoFn<T, KV<byte[], byte[]>> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final SerializableFunction<T, String> keyOf;
    private final String topic;
    private final int maxMessageBytes;
    private final boolean hasDeadLetterTopic;
    private final TupleTag<KV<byte[], byte[]>> fitsTag;
    private final TupleTag<DeadLetter> tooLarge;
    private transient @Nullable RecordCodec<T> codec;

    EncodeFn(
        Class<T> type,
        SerializableFunction<T, String> keyOf,
        String topic,
        int maxMessageBytes,
        boolean hasDeadLetterTopic,
        TupleTag<KV<byte[], byte[]>> fits,
        TupleTag<DeadLetter> tooLarge) {
      this.fitsTag = fits;
      this.type = type;
      this.keyOf = keyOf;
      this.topic = topic;
      this.maxMessageBytes = maxMessageBytes;
      this.hasDeadLetterTopic = hasDeadLetterTopic;
      this.tooLarge = tooLarge;
    }

    @ProcessElement
    public void processElement(@Element T record, MultiOutputReceiver out) {
      if (codec == null) {
        codec = RecordCodec.of(type);
      }
      byte[] key = keyOf.apply(record).getBytes(StandardCharsets.UTF_8);
      byte[] value = codec.encode(record);
      if (fits(key, value)) {
        out.get(fitsTag).output(KV.of(key, value));
        return;
      }
      if (record instanceof DeadLetter deadLetter) {
        byte[] shrunk = RecordCodec.of(DeadLetter.class).encode(shrink(deadLetter, key, value));
        out.get(fitsTag).output(KV.of(key, shrunk));
        return;
      }
      String message =
          type.getSimpleName()
              + " of "
              + value.length
              + " bytes (key "
              + key.length
              + " bytes) for topic "
              + topic
              + " is larger than the largest message of "
              + maxMessageBytes
              + " bytes (--max-message-bytes)";
      if (!hasDeadLetterTopic) {
        throw new IllegalStateException(message + " and no dead-letter topic is configured");
      }
      DeadLetters.counter(STAGE, RECORD_TOO_LARGE).inc();
      out.get(tooLarge)
          .output(
              DeadLetter.newBuilder()
                  .setKey(ByteBuffer.wrap(key))
                  .setValue(ByteBuffer.wrap(value))
                  .setStage(STAGE)
                  .setReason(RECORD_TOO_LARGE)
                  .setErrorClass(IllegalArgumentException.class.getName())
                  .setErrorMessage(message)
                  .setFailedAtMs(Instant.ofEpochMilli(System.currentTimeMillis()))
                  .build());
    }

    private boolean fits(byte[] key, byte[] value) {
      return WriteRecords.fits(key.length, value.length, maxMessageBytes);
    }

    /** The dead letter with as much of the start of its value as fits, saying so. */
    private DeadLetter shrink(DeadLetter deadLetter, byte[] key, byte[] encoded) {
      byte[] original = DeadLetters.valueBytes(deadLetter);
      String message = deadLetter.getErrorMessage().toString();
      if (message.length() > MAX_ERROR_MESSAGE_CHARS) {
        message = message.substring(0, MAX_ERROR_MESSAGE_CHARS) + "...";
      }
      // Everything but the value, plus a margin for the note and the value's length prefix.
      long rest = encoded.length - original.length + 512L;
      int keep =
          (int)
              Math.max(
                  0,
                  Math.min(
                      original.length,
                      maxMessageBytes - RECORD_OVERHEAD_BYTES - key.length - rest));
      byte[] kept = java.util.Arrays.copyOf(original, keep);
      return DeadLetter.newBuilder(deadLetter)
          .setValue(ByteBuffer.wrap(kept))
          .setErrorMessage(
              message
                  + " [value truncated to its first "
                  + keep
                  + " of "
                  + original.length
                  + " bytes to fit a "
                  + maxMessageBytes
                  + "-byte message]")
          .build();
    }
  }
}
