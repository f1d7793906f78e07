package dev.rredcot.pipelines.kafka;

/**
 * How the job's Kafka writes survive a crash: {@link #EXACTLY_ONCE} through Kafka transactions
 * committed after each Flink checkpoint ({@link TransactionalWrite}), or {@link #AT_LEAST_ONCE}
 * through an idempotent producer without transactions.
 */
public enum DeliveryGuarantee {
  /**
   * A read_committed consumer sees every record once, across crashes and restarts; records become
   * visible when the checkpoint after them completes (up to one checkpoint interval later).
   */
  EXACTLY_ONCE("exactly-once"),

  /**
   * Records are visible as soon as they are written; after a crash, what was written since the last
   * checkpoint is written again (possibly with other values), and consumers deduplicate by id.
   */
  AT_LEAST_ONCE("at-least-once");

  private final String optionValue;

  DeliveryGuarantee(String optionValue) {
    this.optionValue = optionValue;
  }

  /** The value of {@code --delivery-guarantee} that selects this guarantee. */
  public String optionValue() {
    return optionValue;
  }

  /**
   * The guarantee named by {@code --delivery-guarantee} ({@code exactly-once}, {@code
   * at-least-once}).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static DeliveryGuarantee fromOption(String value) {
    for (DeliveryGuarantee guarantee : values()) {
      if (guarantee.optionValue.equals(value)) {
        return guarantee;
      }
    }
    throw new IllegalArgumentException(
        "unknown --delivery-guarantee '" + value + "': use auto, exactly-once or at-least-once");
  }
}
