package dev.rredcot.pipelines.endpoint;

/**
 * A {@code POST /v1/credit} body that cannot be credited as sent: the JSON field at fault (e.g.
 * {@code traces[2]}, {@code options.target_segments}), a kebab-case reason and what is wrong. The
 * endpoint answers it with its HTTP status (400, or 413 for a body over the size limit).
 */
public final class BadCreditRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String field;
  private final String reason;

  BadCreditRequestException(int status, String field, String reason, String message) {
    super(message);
    this.status = status;
    this.field = field;
    this.reason = reason;
  }

  /** A 400 naming {@code field}. */
  static BadCreditRequestException of(String field, String reason, String message) {
    return new BadCreditRequestException(400, field, reason, message);
  }

  /** The HTTP status to answer with. */
  public int status() {
    return status;
  }

  /** The request field at fault, in the request's own spelling. */
  public String field() {
    return field;
  }

  /** Stable kebab-case reason (the rollout contract's where it applies, e.g. reward-mismatch). */
  public String reason() {
    return reason;
  }
}
