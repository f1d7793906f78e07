package dev.rredcot.pipelines;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.ingest.RawRecord;
import dev.rredcot.pipelines.kafka.ReadRawRecords;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import java.util.Map;
import java.util.TreeMap;
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
 * Kafka. Delivery is at least once: rollout ids are stable and the trainer deduplicates on them,
 * which FACTS.md found far cheaper on Flink than Kafka transactions.
 *
 * <p>With {@code --maxRecords=N} the run is bounded: it stops after N input records, flushes the
 * groups still incomplete as partial, logs the job's counters and returns. Without it the job runs
 * until cancelled.
 *
 * <pre>{@code
 * java -cp rredcot-pipelines.jar dev.rredcot.pipelines.CreditPipeline \
 *     --runner=FlinkRunner --flinkMaster=[local] \
 *     --bootstrapServers=127.0.0.1:9092 --maxRecords=1000 --groupTimeoutMs=30000
 * }</pre>
 */
public final class CreditPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(CreditPipeline.class);

  private CreditPipeline() {}

  public static void main(String[] args) {
    PipelineOptionsFactory.register(CreditPipelineOptions.class);
    run(PipelineOptionsFactory.fromArgs(args).withValidation().as(CreditPipelineOptions.class));
  }

  /**
   * Builds and runs the job against Kafka. A bounded run ({@code maxRecords > 0}) waits for the end
   * and logs the counters; read them with {@link #counters(PipelineResult)}.
   *
   * @throws IllegalArgumentException at start, before anything runs, for invalid options
   */
  public static PipelineResult run(CreditPipelineOptions options) {
    CreditSettings settings = CreditSettings.fromOptions(options);
    Pipeline pipeline = Pipeline.create(options);
    buildGraph(
        pipeline,
        ReadRawRecords.of(
            options.getBootstrapServers(),
            options.getInputTopic(),
            options.getConsumerGroupId(),
            options.getMaxRecords()),
        settings,
        WriteRecords.of(
            options.getBootstrapServers(),
            options.getOutputTopic(),
            CreditedRollout.class,
            CreditedRollout::getGroupId),
        WriteRecords.of(
            options.getBootstrapServers(),
            options.getDeadLetterTopic(),
            DeadLetter.class,
            DeadLetter::getStage));
    LOG.info(
        "Starting credit job: {} -> {} (dead letters: {}), maxRecords={}",
        options.getInputTopic(),
        options.getOutputTopic(),
        options.getDeadLetterTopic(),
        options.getMaxRecords());
    PipelineResult result = pipeline.run();
    if (options.getMaxRecords() > 0) {
      PipelineResult.State state = result.waitUntilFinish();
      LOG.info("Credit job finished: {}", state);
      counters(result).forEach((name, value) -> LOG.info("counter {} = {}", name, value));
    }
    return result;
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
