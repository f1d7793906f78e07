package dev.rredcot.infra.synthetic;

import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Values that look like they belong on {@code rollouts} but do not decode, so that dead-lettering
 * can be watched: random bytes, a valid Avro record cut in half, and plain text.
 */
public final class CorruptRecords {
  /** How a corrupt value was made. */
  public enum Kind {
    /** Random bytes: no single-object header. */
    RANDOM_BYTES,
    /**
     * A valid encoded rollout truncated to half its length: the header is fine, the body is not.
     */
    TRUNCATED_AVRO,
    /** A line of UTF-8 text, as if someone produced JSON or a log line to the topic. */
    PLAIN_TEXT
  }

  /** One corrupt value with the way it was made. */
  public record CorruptRecord(Kind kind, byte[] value) {}

  private CorruptRecords() {}

  /**
   * {@code count} corrupt values cycling through the kinds; {@code template} is the rollout that
   * the truncated ones are cut from.
   */
  public static List<CorruptRecord> generate(int count, long seed, Rollout template) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    SplittableRandom random = new SplittableRandom(seed);
    byte[] encoded = RecordCodec.of(Rollout.class).encode(template);
    Kind[] kinds = Kind.values();
    return IntStream.range(0, count)
        .mapToObj(
            i -> {
              Kind kind = kinds[i % kinds.length];
              return new CorruptRecord(kind, value(kind, i, random, encoded));
            })
        .toList();
  }

  private static byte[] value(Kind kind, int index, SplittableRandom random, byte[] encoded) {
    return switch (kind) {
      case RANDOM_BYTES -> {
        byte[] bytes = new byte[16 + random.nextInt(48)];
        random.nextBytes(bytes);
        // Avro's single-object marker is C3 01; make sure random data never starts with it.
        bytes[0] = (byte) 0x7B;
        yield bytes;
      }
      case TRUNCATED_AVRO -> Arrays.copyOf(encoded, Math.max(11, encoded.length / 2));
      case PLAIN_TEXT ->
          ("{\"note\":\"not Avro\",\"corrupt\":" + index + "}").getBytes(StandardCharsets.UTF_8);
    };
  }
}
