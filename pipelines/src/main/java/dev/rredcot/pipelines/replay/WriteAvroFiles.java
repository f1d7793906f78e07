package dev.rredcot.pipelines.replay;

import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes records to Avro container files {@code <prefix>-SSSSS-of-NNNNN.avro}. An unbounded input
 * (a Kafka range) is written with windowed writes into one shard, finished when the input ends.
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
      write = write.withWindowedWrites().withNumShards(1);
    }
    return records.apply("WriteAvro", write);
  }
}
