package dev.rredcot.pipelines.ingest;

import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Decodes single-object-encoded records like {@link RecordCodec#decode} (the current schema and
 * every historic one), with explicit limits on what the bytes may declare: the items of all
 * collections of one record together, and the bytes of any one string or byte array. Avro sizes an
 * array or a string from the count the bytes declare, before reading a single item, so an 80-byte
 * record that declares 2^31 - 9 items asks for gigabytes. Avro's own guards are process-wide system
 * properties read once when its classes load (and its defaults allow up to 2^31 - 9); these limits
 * are per decoder, set where the record is decoded, and hold whatever the JVM was started with.
 *
 * <p>A record over a limit is a {@link RecordDecodingException} ({@code corrupt-bytes}) whose
 * message names the limit, like any other body that does not decode. Thread-safe.
 */
public final class BoundedRecordDecoder<T extends SpecificRecord> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private final long maxCollectionItems;
  private final long maxStringBytes;
  private transient volatile @Nullable BinaryMessageDecoder<T> decoder;

  private BoundedRecordDecoder(Class<T> type, long maxCollectionItems, long maxStringBytes) {
    if (maxCollectionItems < 0 || maxStringBytes < 0) {
      throw new IllegalArgumentException(
          "decode limits must be >= 0, got "
              + maxCollectionItems
              + " collection items and "
              + maxStringBytes
              + " string bytes");
    }
    this.type = Objects.requireNonNull(type, "type");
    this.maxCollectionItems = maxCollectionItems;
    this.maxStringBytes = maxStringBytes;
  }

  /**
   * A decoder of {@code type} records that refuses more than {@code maxCollectionItems} collection
   * items in one record (all collections together) and more than {@code maxStringBytes} bytes in
   * any one string or byte array.
   */
  public static <T extends SpecificRecord> BoundedRecordDecoder<T> of(
      Class<T> type, long maxCollectionItems, long maxStringBytes) {
    return new BoundedRecordDecoder<>(type, maxCollectionItems, maxStringBytes);
  }

  /**
   * The limits for records of at most {@code maxRecordBytes} bytes: every collection item of the
   * record types on the topics takes at least one byte and a string cannot be longer than its
   * record, so neither limit refuses a record that fits; both refuse any declaration the bytes
   * cannot back.
   */
  public static <T extends SpecificRecord> BoundedRecordDecoder<T> forRecordsOf(
      Class<T> type, long maxRecordBytes) {
    return of(type, maxRecordBytes, maxRecordBytes);
  }

  public long maxCollectionItems() {
    return maxCollectionItems;
  }

  public long maxStringBytes() {
    return maxStringBytes;
  }

  /**
   * Decodes {@code bytes}.
   *
   * @throws RecordDecodingException with the original bytes when they are empty, lack the header,
   *     name an unknown schema, do not decode or declare more than a limit allows
   */
  public T decode(byte[] bytes) {
    return RecordCodec.decode(type.getSimpleName(), decoder(), bytes);
  }

  private BinaryMessageDecoder<T> decoder() {
    BinaryMessageDecoder<T> result = decoder;
    if (result == null) {
      RecordCodec<T> codec = RecordCodec.of(type);
      result = new BinaryMessageDecoder<>(new LimitedModel(type), codec.schema());
      for (Schema old : codec.historicSchemas()) {
        result.addSchema(old);
      }
      decoder = result;
    }
    return result;
  }

  /**
   * The data model handed to Avro's message decoder only to create datum readers: each reads
   * through a {@link LimitedDecoder}, with the record class's own model (its logical-type
   * conversions) doing the rest.
   */
  private final class LimitedModel extends SpecificData {
    private final SpecificData recordModel;

    LimitedModel(Class<T> type) {
      super(type.getClassLoader());
      this.recordModel = SpecificData.getForClass(type);
    }

    @Override
    public DatumReader<?> createDatumReader(Schema writer, Schema reader) {
      return new SpecificDatumReader<T>(writer, reader, recordModel) {
        @Override
        public T read(T reuse, Decoder in) throws IOException {
          return super.read(reuse, new LimitedDecoder(in, maxCollectionItems, maxStringBytes));
        }
      };
    }
  }

  /**
   * A binary decoder that checks each declared length before anything is allocated for it. It sits
   * under Avro's resolving decoder, so its calls follow the binary encoding: a string or byte array
   * is a long length and that many bytes.
   */
  static final class LimitedDecoder extends Decoder {
    private final Decoder in;
    private final long maxCollectionItems;
    private final long maxStringBytes;
    private long collectionItems;

    LimitedDecoder(Decoder in, long maxCollectionItems, long maxStringBytes) {
      this.in = in;
      this.maxCollectionItems = maxCollectionItems;
      this.maxStringBytes = maxStringBytes;
    }

    private long items(long declared) {
      if (declared < 0) {
        throw new AvroRuntimeException("a collection block declares " + declared + " items");
      }
      collectionItems += declared;
      if (collectionItems > maxCollectionItems) {
        throw new AvroRuntimeException(
            "the record declares at least "
                + collectionItems
                + " collection items, more than the limit of "
                + maxCollectionItems);
      }
      return declared;
    }

    private int length(String what) throws IOException {
      long declared = in.readLong();
      if (declared < 0 || declared > maxStringBytes) {
        throw new AvroRuntimeException(
            "a "
                + what
                + " declares "
                + declared
                + " bytes, not in [0, "
                + maxStringBytes
                + "] (the limit)");
      }
      return (int) declared;
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
      int length = length("string");
      Utf8 result = old != null ? old : new Utf8();
      result.setByteLength(length);
      if (length > 0) {
        in.readFixed(result.getBytes(), 0, length);
      }
      return result;
    }

    @Override
    public String readString() throws IOException {
      return readString(null).toString();
    }

    @Override
    public void skipString() throws IOException {
      in.skipFixed(length("string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
      int length = length("byte array");
      ByteBuffer result;
      if (old != null && old.hasArray() && length <= old.capacity()) {
        result = old;
        result.clear();
      } else {
        result = ByteBuffer.allocate(length);
      }
      in.readFixed(result.array(), result.arrayOffset() + result.position(), length);
      result.limit(length);
      return result;
    }

    @Override
    public void skipBytes() throws IOException {
      in.skipFixed(length("byte array"));
    }

    @Override
    public long readArrayStart() throws IOException {
      return items(in.readArrayStart());
    }

    @Override
    public long arrayNext() throws IOException {
      return items(in.arrayNext());
    }

    @Override
    public long skipArray() throws IOException {
      // Items left to skip one by one (a block without a byte size): each is work, so they count.
      return items(in.skipArray());
    }

    @Override
    public long readMapStart() throws IOException {
      return items(in.readMapStart());
    }

    @Override
    public long mapNext() throws IOException {
      return items(in.mapNext());
    }

    @Override
    public long skipMap() throws IOException {
      return items(in.skipMap());
    }

    @Override
    public void readNull() throws IOException {
      in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
      return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
      return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
      return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
      return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
      return in.readDouble();
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
      in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
      in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
      return in.readEnum();
    }

    @Override
    public int readIndex() throws IOException {
      return in.readIndex();
    }

    @Override
    public int remainingBytes() {
      return in.remainingBytes();
    }
  }
}
