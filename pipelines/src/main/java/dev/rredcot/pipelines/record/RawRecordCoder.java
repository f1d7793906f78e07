package dev.rredcot.pipelines.record;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.BigEndianIntegerCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Deterministic binary coder for {@link RawRecord}. */
public final class RawRecordCoder extends CustomCoder<RawRecord> {
  private static final long serialVersionUID = 1L;
  private static final Coder<byte[]> BYTES = NullableCoder.of(ByteArrayCoder.of());
  private static final Coder<String> TOPIC = NullableCoder.of(StringUtf8Coder.of());

  public static RawRecordCoder of() {
    return new RawRecordCoder();
  }

  @Override
  public void encode(RawRecord record, OutputStream out) throws IOException {
    BYTES.encode(record.key(), out);
    BYTES.encode(record.value(), out);
    TOPIC.encode(record.topic(), out);
    BigEndianIntegerCoder.of().encode(record.partition(), out);
    BigEndianLongCoder.of().encode(record.offset(), out);
  }

  @Override
  public RawRecord decode(InputStream in) throws IOException {
    byte[] key = BYTES.decode(in);
    byte[] value = BYTES.decode(in);
    String topic = TOPIC.decode(in);
    int partition = BigEndianIntegerCoder.of().decode(in);
    long offset = BigEndianLongCoder.of().decode(in);
    return RawRecord.restore(key, value, topic, partition, offset);
  }

  @Override
  public void verifyDeterministic() {}

  // Stateless: every instance codes alike, and runners compare coders by equality.
  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof RawRecordCoder;
  }

  @Override
  public int hashCode() {
    return RawRecordCoder.class.hashCode();
  }
}
