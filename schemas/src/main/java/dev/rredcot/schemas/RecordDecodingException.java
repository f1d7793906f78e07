package dev.rredcot.schemas;

/**
 * Bytes that could not be decoded as the expected record. It carries the original bytes and a short
 * reason so that the caller can write a {@link DeadLetter} without anything else.
 */
public final class RecordDecodingException extends RuntimeException {
  /** Why decoding failed; used as a dead-letter reason and metric label. */
  public enum Reason {
    /** The value was null or empty. */
    EMPTY("empty-bytes"),
    /** The single-object header is missing or wrong: not Avro single-object encoded. */
    BAD_HEADER("bad-header"),
    /** The header is valid but its schema fingerprint is not a known version of the type. */
    UNKNOWN_SCHEMA("unknown-schema"),
    /** The header is valid but the body does not decode. */
    CORRUPT_BODY("corrupt-bytes");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    /** The kebab-case label used in dead letters and metrics. */
    public String label() {
      return label;
    }
  }

  private final transient byte[] originalBytes;
  private final Reason reason;

  public RecordDecodingException(
      String recordType, Reason reason, byte[] originalBytes, Throwable cause) {
    super(
        "cannot decode "
            + recordType
            + " ("
            + reason.label()
            + ", "
            + (originalBytes == null ? 0 : originalBytes.length)
            + " bytes)"
            + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()),
        cause);
    this.reason = reason;
    this.originalBytes = originalBytes == null ? new byte[0] : originalBytes.clone();
  }

  /** The bytes exactly as received. */
  public byte[] originalBytes() {
    return originalBytes.clone();
  }

  public Reason reason() {
    return reason;
  }
}
