package dev.rredcot.infra.records;

import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/** Which Avro record type each of the project's topics carries. */
public final class TopicRecordTypes {
  private static final Map<String, Class<? extends SpecificRecord>> TYPES =
      Map.of(
          Topics.PROMPTS, Prompt.class,
          Topics.ROLLOUTS, Rollout.class,
          Topics.CREDITED_ROLLOUTS, CreditedRollout.class,
          Topics.CHECKPOINTS, PolicyCheckpoint.class,
          Topics.DEAD_LETTERS, DeadLetter.class,
          Topics.ROLLOUT_BUDGET, BudgetEvent.class);

  private TopicRecordTypes() {}

  /** Every record type the project's topics carry. */
  public static List<Class<? extends SpecificRecord>> all() {
    return List.copyOf(TYPES.values());
  }

  /** The record type of {@code topic}, empty for a topic that is not one of {@link Topics#ALL}. */
  public static Optional<Class<? extends SpecificRecord>> of(String topic) {
    return Optional.ofNullable(TYPES.get(topic));
  }
}
