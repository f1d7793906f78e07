package dev.rredcot.tests;

import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import java.io.PrintStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.MessageFormatter;

/**
 * A formatter for Kafka's console consumer ({@code --formatter}): one line {@value #PREFIX}{@code
 * <rollout id>} per {@code CreditedRollout}, so a test can count ids in the tool's output.
 */
public final class CreditedRolloutIdFormatter implements MessageFormatter {
  /** What starts each line of a credited record. */
  public static final String PREFIX = "credited-rollout-id ";

  private final RecordCodec<CreditedRollout> codec = RecordCodec.of(CreditedRollout.class);

  @Override
  public void writeTo(ConsumerRecord<byte[], byte[]> record, PrintStream output) {
    output.println(PREFIX + codec.decode(record.value()).getRolloutId());
  }
}
