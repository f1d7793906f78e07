package dev.rredcot.pipelines.replay;

import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads stored rollouts from Avro container files as the raw records the credit job parses. The
 * format is taken from each file's writer schema: a file of {@code Rollout} records (any schema
 * version the codec knows is re-encoded with the current one) or a file of {@code bytes} records
 * holding the rollouts topic's single-object encoded values as they were, so corrupt values still
 * reach ParseRollouts and become dead letters. Any other schema fails the run with the file name.
 */
public final class ReadRolloutFiles extends PTransform<PBegin, PCollection<RawRecord>> {
  private static final long serialVersionUID = 1L;

  private final String filePattern;

  private ReadRolloutFiles(String filePattern) {
    this.filePattern = filePattern;
  }

  public static ReadRolloutFiles of(String filePattern) {
    return new ReadRolloutFiles(filePattern);
  }

  @Override
  public PCollection<RawRecord> expand(PBegin begin) {
    return begin
        .apply("MatchFiles", FileIO.match().filepattern(filePattern))
        .apply("ReadMatches", FileIO.readMatches())
        .apply("ReadRecords", ParDo.of(new ReadFileFn()))
        .setCoder(RawRecordCoder.of());
  }

  /** Emits one raw record per Avro record of a file. */
  static final class ReadFileFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private static final long serialVersionUID = 1L;
    private static final RecordCodec<Rollout> CODEC = RecordCodec.of(Rollout.class);

    @ProcessElement
    public void processElement(@Element FileIO.ReadableFile file, OutputReceiver<RawRecord> out)
        throws IOException {
      String name = file.getMetadata().resourceId().toString();
      Schema schema;
      try (InputStream in = Channels.newInputStream(file.open());
          DataFileStream<Object> stream = new DataFileStream<>(in, new GenericDatumReader<>())) {
        schema = stream.getSchema();
      }
      if (schema.getType() == Schema.Type.BYTES) {
        try (InputStream in = Channels.newInputStream(file.open());
            DataFileStream<Object> stream = new DataFileStream<>(in, new GenericDatumReader<>())) {
          for (Object value : stream) {
            ByteBuffer buffer = ((ByteBuffer) value).duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            out.output(RawRecord.ofValue(bytes));
          }
        }
      } else if (schema.getType() == Schema.Type.RECORD
          && Rollout.getClassSchema().getFullName().equals(schema.getFullName())) {
        try (InputStream in = Channels.newInputStream(file.open());
            DataFileStream<Rollout> stream =
                new DataFileStream<>(
                    in, new SpecificDatumReader<>(schema, Rollout.getClassSchema()))) {
          for (Rollout rollout : stream) {
            out.output(RawRecord.ofValue(CODEC.encode(rollout)));
          }
        }
      } else {
        throw new IllegalArgumentException(
            name
                + " holds "
                + schema.getFullName()
                + " records: --input-files must be Avro files of "
                + Rollout.getClassSchema().getFullName()
                + " or of bytes (single-object encoded rollouts)");
      }
    }
  }
}
