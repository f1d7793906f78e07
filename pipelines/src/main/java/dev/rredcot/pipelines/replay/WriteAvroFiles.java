package dev.rredcot.pipelines.replay;

import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.joda.time.Duration;

/**
 * Writes records to Avro container files {@code <prefix>-SSSSS-of-NNNNN.avro}. An unbounded input
 * (a Kafka range) is written with windowed writes into one shard of the global window ({@code
 * <prefix>-GlobalWindow-pane-0-last-00000-of-00001.avro}), fired once when the input ends and the
 * watermark passes the end of the window.
 */
public final class WriteAvroFiles<T extends SpecificRecord>
    extends PTransform<PCollection<T>, PDone> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private final String prefix;

  private WriteAvroFiles(Class<T> type, String prefix) {
    this.type = type;
    this.prefix = prefix;
  }

  public static <T extends SpecificRecord> WriteAvroFiles<T> of(Class<T> type, String prefix) {
    return new WriteAvroFiles<>(type, prefix);
  }

  @Override
  public PDone expand(PCollection<T> records) {
    AvroIO.Write<T> write = AvroIO.write(type).to(prefix).withSuffix(".avro");
    if (records.isBounded() == PCollection.IsBounded.UNBOUNDED) {
      // The writer groups by key, which Beam refuses on an unbounded global window with the
      // default trigger; a range's source ends, so one firing at the end of the window has it all.
      records =
          records.apply(
              "FireAtEnd",
              Window.<T>into(new GlobalWindows())
                  .triggering(AfterWatermark.pastEndOfWindow())
                  .withAllowedLateness(Duration.ZERO)
                  .discardingFiredPanes());
      write =
          write.withWindowedWrites().withNumShards(1).withShardNameTemplate("-W-P-SSSSS-of-NNNNN");
    }
    return records.apply("WriteAvro", write);
  }
}
