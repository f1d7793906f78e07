package dev.rredcot.pipelines.ingest;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import java.util.Optional;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes raw input records into {@link Rollout}s and checks them against the record's contract
 * ({@link RolloutContract}) before any model work. Records larger than the size limit (reason
 * {@value #RECORD_TOO_LARGE}, not decoded at all), bytes that do not decode (or declare more
 * collection items or string bytes than a record of the size limit can hold: {@link
 * BoundedRecordDecoder}) and rollouts that fail a check go to the failure output as dead letters
 * with the original key and value bytes and their Kafka origin; nothing is dropped. Accepted
 * rollouts leave with their text fields in Unicode normal form C ({@link
 * RolloutContract#normalised}), the form the contract checked. (A dead letter too large for the
 * dead-letter topic has its value truncated by the Kafka writer ({@code WriteRecords} of the kafka
 * package), which says so in its message.)
 */
public final class ParseRollouts
    extends PTransform<
        PCollection<RawRecord>, WithFailures.Result<PCollection<Rollout>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "ParseRollout";

  /** Dead-letter reason of a record over the size limit. */
  public static final String RECORD_TOO_LARGE = "record-too-large";

  /** Default size limit of a rollout record's value: 1 MiB. */
  public static final long DEFAULT_MAX_RECORD_BYTES = 1L << 20;

  private final long maxRecordBytes;
  private final RolloutContract contract;

  private ParseRollouts(long maxRecordBytes, RolloutContract contract) {
    if (maxRecordBytes <= 0) {
      throw new IllegalArgumentException("maxRecordBytes must be > 0, got " + maxRecordBytes);
    }
    this.maxRecordBytes = maxRecordBytes;
    this.contract = java.util.Objects.requireNonNull(contract, "contract");
  }

  static final TupleTag<Rollout> PARSED = new TupleTag<Rollout>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  /** Parses with the default size limit ({@link #DEFAULT_MAX_RECORD_BYTES}). */
  public static ParseRollouts create() {
    return of(DEFAULT_MAX_RECORD_BYTES);
  }

  /**
   * Parses records whose value has at most {@code maxRecordBytes} bytes, with the default contract.
   */
  public static ParseRollouts of(long maxRecordBytes) {
    return of(maxRecordBytes, RolloutContract.defaults());
  }

  /** Parses records of at most {@code maxRecordBytes} bytes that keep {@code contract}. */
  public static ParseRollouts of(long maxRecordBytes, RolloutContract contract) {
    return new ParseRollouts(maxRecordBytes, contract);
  }

  @Override
  public WithFailures.Result<PCollection<Rollout>, DeadLetter> expand(
      PCollection<RawRecord> input) {
    PCollectionTuple parsed =
        input.apply(
            "ParseRollout",
            ParDo.of(new ParseRolloutFn(maxRecordBytes, contract))
                .withOutputTags(PARSED, TupleTagList.of(FAILED)));
    parsed.get(PARSED).setCoder(AvroCoder.of(Rollout.class));
    parsed.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(parsed, PARSED, FAILED);
  }

  /** Decodes and checks one record. */
  static final class ParseRolloutFn extends DoFn<RawRecord, Rollout> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ParseRolloutFn.class);
    private final Counter parsedRollouts = StageMetrics.counter(StageMetrics.ROLLOUTS_PARSED);
    private final long maxRecordBytes;
    private final RolloutContract contract;
    private final BoundedRecordDecoder<Rollout> decoder;

    ParseRolloutFn(long maxRecordBytes, RolloutContract contract) {
      this.maxRecordBytes = maxRecordBytes;
      this.contract = contract;
      this.decoder = BoundedRecordDecoder.forRecordsOf(Rollout.class, maxRecordBytes);
    }

    @Setup
    public void setup() {
      // An unreadable tokenizer stops the job here, not record by record.
      if (contract.openTokenizer().isEmpty()) {
        LOG.warn(
            "no tokenizer for the rollout contract: token ids are not decoded and compared with"
                + " the text at ingest (tokens-text-mismatch is not checked)");
      }
    }

    @Teardown
    public void teardown() {
      contract.closeTokenizer();
    }

    @ProcessElement
    public void processElement(@Element RawRecord record, MultiOutputReceiver out) {
      StageMetrics.in(STAGE, 1);
      int size = record.value() == null ? 0 : record.value().length;
      if (size > maxRecordBytes) {
        // Not decoded: an oversized record costs memory and model time downstream.
        out.get(FAILED)
            .output(
                DeadLetters.ofRaw(
                    record,
                    STAGE,
                    RECORD_TOO_LARGE,
                    IllegalArgumentException.class.getName(),
                    "record of "
                        + size
                        + " bytes is larger than the limit of "
                        + maxRecordBytes
                        + " bytes (--max-record-bytes)"));
        return;
      }
      Rollout rollout;
      try {
        rollout = decoder.decode(record.value());
      } catch (RecordDecodingException e) {
        out.get(FAILED).output(DeadLetters.ofRaw(record, STAGE, e.reason().label(), e));
        return;
      }
      rollout = RolloutContract.normalised(rollout);
      Optional<RolloutContract.Violation> violation = contract.firstViolation(rollout);
      if (violation.isPresent()) {
        out.get(FAILED)
            .output(
                DeadLetters.ofRaw(
                    record,
                    STAGE,
                    violation.get().reason(),
                    IllegalArgumentException.class.getName(),
                    violation.get().message()));
        return;
      }
      parsedRollouts.inc();
      StageMetrics.out(STAGE, 1);
      out.get(PARSED).output(rollout);
    }
  }
}
