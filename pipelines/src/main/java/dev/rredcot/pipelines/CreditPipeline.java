package dev.rredcot.pipelines;

import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.kafka.DeliveryGuarantee;
import dev.rredcot.pipelines.kafka.ReadRawRecords;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.replay.KafkaRange;
import dev.rredcot.pipelines.replay.ReadKafkaRange;
import dev.rredcot.pipelines.replay.ReadRolloutFiles;
import dev.rredcot.pipelines.replay.WriteAvroFiles;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.POutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credit job: reads {@code Rollout} bytes from Kafka, credits them with {@link CreditRollouts}
 * and writes {@code CreditedRollout}s (key: group id) and {@code DeadLetter}s (key: stage) back to
 * Kafka. With {@code --delivery-guarantee=exactly-once} (or {@code auto}) an unbounded run on Flink
 * with checkpointing writes exactly once for read_committed consumers (Kafka transactions committed
 * after each checkpoint, see {@link WriteRecords}); by default, and on a bounded run, it writes at
 * least once and consumers deduplicate by rollout id.
 *
 * <p>With {@code --max-records=N} the run is bounded: it stops after N input records, flushes the
 * groups still incomplete as partial, logs the job's counters and returns. Without it the job runs
 * until cancelled.
 *
 * <pre>{@code
 * java -cp rredcot-pipelines.jar dev.rredcot.pipelines.CreditPipeline \
 *     --runner=FlinkRunner --flink-master=[local] \
 *     --bootstrap=127.0.0.1:9092 --max-records=1000 --group-timeout-ms=30000
 * }</pre>
 */
public final class CreditPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(CreditPipeline.class);

  private CreditPipeline() {}

  /** Runs the job with options written as flags ({@link BeamFlags}); {@code --help} lists them. */
  public static void main(String[] args) {
    if (List.of(args).contains("--help")) {
      PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
      BeamFlags.printHelp(out);
      return;
    }
    PipelineOptionsFactory.register(CreditPipelineOptions.class);
    run(
        PipelineOptionsFactory.fromArgs(BeamFlags.toBeamArgs(List.of(args)).toArray(String[]::new))
            .withValidation()
            .as(CreditPipelineOptions.class));
  }

  /**
   * Builds and runs the job: Kafka (or a bounded replay range, or Avro files) in, Kafka (or Avro
   * files) out. A bounded run ({@code maxRecords > 0}, a replay range or input files) waits for the
   * end and logs the metrics; read them with {@link CreditRunResult#of(PipelineResult)}.
   *
   * @throws IllegalArgumentException at start, before anything runs, for invalid options
   */
  public static PipelineResult run(CreditPipelineOptions options) {
    CreditSettings settings = CreditSettings.fromOptions(options);
    DeliveryGuarantee guarantee = deliveryGuarantee(options);
    KafkaClientConfig clientConfig = KafkaClientConfig.resolve(options.getKafkaConfig());
    if (!clientConfig.isEmpty()) {
      LOG.info("Kafka client config: {}", clientConfig);
    }
    Pipeline pipeline = Pipeline.create(options);
    buildGraph(
        pipeline,
        source(options, clientConfig),
        settings,
        creditedSink(options, clientConfig, guarantee),
        deadLetterSink(options, clientConfig, guarantee));
    LOG.info(
        "Starting credit job: {} -> {} (dead letters: {}), credit {}, bounded={}," + " delivery {}",
        options.getInputFiles().isEmpty() ? options.getInputTopic() : options.getInputFiles(),
        options.getOutputFiles().isEmpty() ? options.getOutputTopic() : options.getOutputFiles(),
        options.getOutputFiles().isEmpty()
            ? options.getDeadLetterTopic()
            : options.getOutputFiles() + DEAD_LETTER_FILE_SUFFIX,
        CreditChoice.of(options),
        isBounded(options),
        options.getOutputFiles().isEmpty() ? guarantee.optionValue() : "to files");
    if (!isBounded(options)) {
      logCheckpointing(options);
      capBundleTime(options);
    }
    PipelineResult result = pipeline.run();
    if (isBounded(options)) {
      PipelineResult.State state = result.waitUntilFinish();
      LOG.info("Credit job finished: {}", state);
      CreditRunResult.of(result).log();
    }
    return result;
  }

  /**
   * Runs a bounded job ({@code --max-records}, a replay range or input files) to the end and
   * returns its state and metrics.
   *
   * @throws IllegalArgumentException when the options describe an unbounded run
   */
  public static CreditRunResult runBounded(CreditPipelineOptions options) {
    if (!isBounded(options)) {
      throw new IllegalArgumentException(
          "an unbounded run never returns: set --max-records, --to-offsets/--to-time or --input-files");
    }
    return CreditRunResult.of(run(options));
  }

  private static boolean onFlink(CreditPipelineOptions options) {
    return options.getRunner().getSimpleName().equals("FlinkRunner");
  }

  /**
   * The longest a streaming bundle stays open on Flink. The value stage scores the groups of a
   * bundle together and emits them when the bundle closes ({@link
   * dev.rredcot.pipelines.stage.EstimateValues}), so this bounds the wait it adds to every group;
   * at Beam's default of 1000 ms the streaming loop's workers waited on the in-flight budget
   * (docs/BENCHMARKS.md, "Loop").
   */
  static final long MAX_BUNDLE_TIME_MS = 100;

  private static void capBundleTime(CreditPipelineOptions options) {
    if (!onFlink(options)) {
      return;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    if (flink.getMaxBundleTimeMills() > MAX_BUNDLE_TIME_MS) {
      LOG.info(
          "bundles close after at most {} ms (was {}): the value stage emits a bundle's groups"
              + " when it closes",
          MAX_BUNDLE_TIME_MS,
          flink.getMaxBundleTimeMills());
      flink.setMaxBundleTimeMills(MAX_BUNDLE_TIME_MS);
    }
  }

  /**
   * Says how an unbounded run on Flink checkpoints. Without checkpoints Beam never finalizes the
   * Kafka reads, so the input offsets are never committed and a restart reads the topic again.
   */
  private static void logCheckpointing(CreditPipelineOptions options) {
    if (!onFlink(options)) {
      return;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    Long interval = flink.getCheckpointingInterval();
    if (interval == null || interval <= 0) {
      LOG.warn(
          "unbounded credit job without Flink checkpointing: input offsets are never committed"
              + " and a restart reads {} again (set --checkpointing-interval)",
          options.getInputTopic());
      return;
    }
    LOG.info(
        "Flink checkpoints every {} ms ({}), state backend {} at {}, retained on cancellation: {},"
            + " restoring from: {}",
        interval,
        flink.getCheckpointingMode(),
        flink.getStateBackend(),
        flink.getStateBackendStoragePath(),
        flink.getRetainExternalizedCheckpointsOnCancellation(),
        flink.getSavepointPath() == null ? "nothing" : flink.getSavepointPath());
  }

  /**
   * The guarantee of the Kafka sinks: {@code --delivery-guarantee}, where {@code auto} means
   * exactly-once for an unbounded run on Flink with checkpointing and at-least-once otherwise.
   *
   * @throws IllegalArgumentException when exactly-once is asked of a run that cannot give it
   */
  public static DeliveryGuarantee deliveryGuarantee(CreditPipelineOptions options) {
    boolean onFlink = onFlink(options);
    Long interval =
        onFlink ? options.as(FlinkPipelineOptions.class).getCheckpointingInterval() : null;
    boolean checkpointing = interval != null && interval > 0;
    if (options.getDeliveryGuarantee().equals("auto")) {
      return !isBounded(options) && onFlink && checkpointing
          ? DeliveryGuarantee.EXACTLY_ONCE
          : DeliveryGuarantee.AT_LEAST_ONCE;
    }
    DeliveryGuarantee guarantee = DeliveryGuarantee.fromOption(options.getDeliveryGuarantee());
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      if (isBounded(options)) {
        throw new IllegalArgumentException(
            "--delivery-guarantee=exactly-once commits with Flink checkpoints, which a bounded run"
                + " (--max-records, a replay range, --input-files) does not take: drop the bound or"
                + " use --delivery-guarantee=at-least-once");
      }
      if (onFlink && !checkpointing) {
        throw new IllegalArgumentException(
            "--delivery-guarantee=exactly-once commits with Flink checkpoints: set"
                + " --checkpointing-interval or use --delivery-guarantee=at-least-once");
      }
    }
    return guarantee;
  }

  /**
   * The transactional id (and consumer group of the committed progress) of the exactly-once sink of
   * {@code topic}: the job's consumer group (or {@value #DEFAULT_SINK_GROUP} without one), a dot
   * and the topic. Kafka ACLs of a secured deployment must allow the credit job these ids.
   */
  public static String transactionalId(String consumerGroupId, String topic) {
    return (consumerGroupId.isEmpty() ? DEFAULT_SINK_GROUP : consumerGroupId) + "." + topic;
  }

  /** Prefix of the sinks' transactional ids of a job that has no consumer group. */
  public static final String DEFAULT_SINK_GROUP = "rredcot-credit";

  /** Whether the options describe a run that ends by itself. */
  public static boolean isBounded(CreditPipelineOptions options) {
    return options.getMaxRecords() > 0 || isReplay(options);
  }

  private static boolean isReplay(CreditPipelineOptions options) {
    return !options.getInputFiles().isEmpty()
        || !options.getFromOffsets().isEmpty()
        || !options.getToOffsets().isEmpty()
        || !options.getFromTime().isEmpty()
        || !options.getToTime().isEmpty();
  }

  /** Suffix of the dead-letter file prefix next to {@code --output-files}. */
  public static final String DEAD_LETTER_FILE_SUFFIX = "-dead-letters";

  private static PTransform<PBegin, PCollection<RawRecord>> source(
      CreditPipelineOptions options, KafkaClientConfig clientConfig) {
    if (!options.getInputFiles().isEmpty()) {
      if (isKafkaRange(options)) {
        throw new IllegalArgumentException(
            "--input-files reads files; drop --from-offsets/--to-offsets/--from-time/--to-time");
      }
      return ReadRolloutFiles.of(options.getInputFiles());
    }
    if (isKafkaRange(options)) {
      if (options.getMaxRecords() > 0) {
        throw new IllegalArgumentException(
            "a replay range is already bounded: drop --max-records or the range options");
      }
      KafkaRange range =
          KafkaRange.resolve(
              options.getBootstrapServers(),
              clientConfig.asMap(),
              options.getInputTopic(),
              options.getFromOffsets(),
              options.getToOffsets(),
              options.getFromTime(),
              options.getToTime());
      LOG.info("replaying {} records of {}", range.size(), range.topic());
      return ReadKafkaRange.of(options.getBootstrapServers(), range, clientConfig.asMap());
    }
    return ReadRawRecords.of(
            options.getBootstrapServers(),
            options.getInputTopic(),
            options.getConsumerGroupId(),
            options.getMaxRecords())
        .withClientConfig(clientConfig.asMap());
  }

  private static boolean isKafkaRange(CreditPipelineOptions options) {
    return !options.getFromOffsets().isEmpty()
        || !options.getToOffsets().isEmpty()
        || !options.getFromTime().isEmpty()
        || !options.getToTime().isEmpty();
  }

  private static PTransform<PCollection<CreditedRollout>, ? extends POutput> creditedSink(
      CreditPipelineOptions options, KafkaClientConfig clientConfig, DeliveryGuarantee guarantee) {
    if (!options.getOutputFiles().isEmpty()) {
      return WriteAvroFiles.of(CreditedRollout.class, options.getOutputFiles());
    }
    WriteRecords<CreditedRollout> sink =
        WriteRecords.of(
                options.getBootstrapServers(),
                options.getOutputTopic(),
                CreditedRollout.class,
                CreditedRollout::getGroupId)
            .withMaxMessageBytes(options.getMaxMessageBytes())
            .withDeadLetterTopic(options.getDeadLetterTopic())
            .withClientConfig(clientConfig.asMap());
    return guarantee == DeliveryGuarantee.EXACTLY_ONCE
        ? sink.withExactlyOnce(
            transactionalId(options.getConsumerGroupId(), options.getOutputTopic()))
        : sink;
  }

  private static PTransform<PCollection<DeadLetter>, ? extends POutput> deadLetterSink(
      CreditPipelineOptions options, KafkaClientConfig clientConfig, DeliveryGuarantee guarantee) {
    if (!options.getOutputFiles().isEmpty()) {
      return WriteAvroFiles.of(
          DeadLetter.class, options.getOutputFiles() + DEAD_LETTER_FILE_SUFFIX);
    }
    WriteRecords<DeadLetter> sink =
        WriteRecords.of(
                options.getBootstrapServers(),
                options.getDeadLetterTopic(),
                DeadLetter.class,
                DeadLetter::getStage)
            .withMaxMessageBytes(options.getMaxMessageBytes())
            .withClientConfig(clientConfig.asMap());
    return guarantee == DeliveryGuarantee.EXACTLY_ONCE
        ? sink.withExactlyOnce(
            transactionalId(options.getConsumerGroupId(), options.getDeadLetterTopic()))
        : sink;
  }

  /**
   * Wires source → {@link CreditRollouts} → sinks into {@code pipeline}. Tests pass {@code
   * Create}/{@code TestStream} sources and in-memory sinks; {@link #run} passes Kafka.
   */
  public static WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> buildGraph(
      Pipeline pipeline,
      PTransform<PBegin, PCollection<RawRecord>> source,
      CreditSettings settings,
      PTransform<PCollection<CreditedRollout>, ? extends POutput> creditedSink,
      PTransform<PCollection<DeadLetter>, ? extends POutput> deadLetterSink) {
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> credited =
        pipeline.apply("ReadRollouts", source).apply("CreditRollouts", CreditRollouts.of(settings));
    credited.output().apply("WriteCreditedRollouts", creditedSink);
    credited.failures().apply("WriteDeadLetters", deadLetterSink);
    return credited;
  }

  /** Every counter of the job, attempted values, by name (e.g. {@code rollouts-credited}). */
  public static Map<String, Long> counters(PipelineResult result) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    Map<String, Long> counters = new TreeMap<>();
    for (MetricResult<Long> counter : metrics.getCounters()) {
      if (DeadLetters.METRICS_NAMESPACE.equals(counter.getName().getNamespace())) {
        counters.merge(counter.getName().getName(), counter.getAttempted(), Long::sum);
      }
    }
    return counters;
  }
}
