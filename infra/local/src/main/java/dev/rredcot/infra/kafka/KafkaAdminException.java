package dev.rredcot.infra.kafka;

/** A broker administration request (create, describe, list) failed or timed out. */
public final class KafkaAdminException extends RuntimeException {
  public KafkaAdminException(String message, Throwable cause) {
    super(message, cause);
  }
}
