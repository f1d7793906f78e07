package dev.rredcot.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro binary single-object encoding (a 10-byte header with the writer schema's fingerprint) for
 * one record type. No registry is needed: the decoder knows the current schema and every previous
 * version kept under {@code dev/rredcot/schemas/history/<Type>.v<N>.avsc}, and resolves old data to
 * the current schema. Thread-safe.
 *
 * <pre>{@code
 * RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
 * byte[] bytes = codec.encode(rollout);
 * Rollout back = codec.decode(bytes); // throws RecordDecodingException with the bytes
 * }</pre>
 */
public final class RecordCodec<T extends SpecificRecord> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient volatile BinaryMessageEncoder<T> encoder;
  private transient volatile BinaryMessageDecoder<T> decoder;

  private RecordCodec(Class<T> type) {
    this.type = Objects.requireNonNull(type, "type");
  }

  /** A codec for a generated record class. */
  public static <T extends SpecificRecord> RecordCodec<T> of(Class<T> type) {
    return new RecordCodec<>(type);
  }

  public Class<T> type() {
    return type;
  }

  /** The current (writer) schema. */
  public Schema schema() {
    return SpecificData.get().getSchema(type);
  }

  /** Encodes a record with the current schema. */
  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder().encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  /**
   * Decodes bytes written with the current schema or any historic one.
   *
   * @throws RecordDecodingException with the original bytes when they are empty, lack the
   *     single-object header, name an unknown schema or do not decode
   */
  public T decode(byte[] bytes) {
    return decode(type.getSimpleName(), decoder(), bytes);
  }

  /**
   * Decodes {@code bytes} with {@code decoder}, every failure a {@link RecordDecodingException} for
   * record type {@code name} with the original bytes: the one failure mapping of every decoder of
   * the project's records (this codec's, and decoders with limits of their own).
   *
   * @throws RecordDecodingException when the bytes are empty, lack the single-object header, name
   *     an unknown schema or do not decode
   */
  public static <R> R decode(String name, BinaryMessageDecoder<R> decoder, byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new RecordDecodingException(name, RecordDecodingException.Reason.EMPTY, bytes, null);
    }
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new RecordDecodingException(
          name, RecordDecodingException.Reason.UNKNOWN_SCHEMA, bytes, e);
    } catch (BadHeaderException e) {
      throw new RecordDecodingException(name, RecordDecodingException.Reason.BAD_HEADER, bytes, e);
    } catch (IOException | RuntimeException e) {
      // Avro reports truncations and bad lengths as several exception types, some plain runtime
      // errors (negative array sizes, class casts), and decode limits as AvroRuntimeException.
      throw new RecordDecodingException(
          name, RecordDecodingException.Reason.CORRUPT_BODY, bytes, e);
    }
  }

  /** The previous versions of this type's schema, oldest first. */
  public List<Schema> historicSchemas() {
    List<Schema> schemas = new ArrayList<>();
    for (int version = 1; ; version++) {
      String resource = "history/" + type.getSimpleName() + ".v" + version + ".avsc";
      try (InputStream in = RecordCodec.class.getResourceAsStream(resource)) {
        if (in == null) {
          return schemas;
        }
        schemas.add(
            new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema resource " + resource, e);
      }
    }
  }

  private BinaryMessageEncoder<T> encoder() {
    BinaryMessageEncoder<T> result = encoder;
    if (result == null) {
      result = new BinaryMessageEncoder<>(SpecificData.getForClass(type), schema());
      encoder = result;
    }
    return result;
  }

  private BinaryMessageDecoder<T> decoder() {
    BinaryMessageDecoder<T> result = decoder;
    if (result == null) {
      result = new BinaryMessageDecoder<>(SpecificData.getForClass(type), schema());
      for (Schema old : historicSchemas()) {
        result.addSchema(old);
      }
      decoder = result;
    }
    return result;
  }
}
