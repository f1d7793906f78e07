package dev.rredcot.infra.loop;

/**
 * What the loop's processes are started with: the credit preset, the sizes, the workers and the
 * feeder's prompts. The same shape gives the same commands, so a chaos run and a loop benchmark run
 * the same loop.
 *
 * @param credit the credit job's {@code --credit} preset
 * @param groupSize traces per prompt, G
 * @param promptsPerBatch most prompts per worker generation batch
 * @param batchGroups complete groups per trainer step, B
 * @param workers rollout worker processes (one consumer group)
 * @param prompts prompts the feeder sends, 0 for an endless stream
 * @param firstSeed seed of the feeder's first prompt
 * @param promptsPerSecond most prompts per second the feeder sends
 * @param flinkCheckpointIntervalMs the credit job's Flink checkpoint interval
 * @param partialBatchAfterS seconds without a record after which the trainer trains fewer than B
 *     complete groups
 * @param deliveryGuarantee the credit job's {@code --delivery-guarantee}: {@code at-least-once}
 *     (the loop's default: the trainer deduplicates by id) or {@code exactly-once} (records reach
 *     the trainer when the checkpoint after them commits)
 */
public record LoopShape(
    String credit,
    int groupSize,
    int promptsPerBatch,
    int batchGroups,
    int workers,
    long prompts,
    long firstSeed,
    double promptsPerSecond,
    long flinkCheckpointIntervalMs,
    int partialBatchAfterS,
    String deliveryGuarantee) {

  /** The credit job's default delivery guarantee in the loop. */
  public static final String AT_LEAST_ONCE = "at-least-once";

  /**
   * @throws IllegalArgumentException when a size, count or rate is out of range
   */
  public LoopShape {
    if (credit == null
        || credit.isBlank()
        || groupSize < 2
        || promptsPerBatch <= 0
        || batchGroups <= 0
        || workers <= 0
        || prompts < 0
        || !(promptsPerSecond > 0)
        || flinkCheckpointIntervalMs <= 0
        || partialBatchAfterS < 0
        || deliveryGuarantee == null
        || deliveryGuarantee.isBlank()) {
      throw new IllegalArgumentException(
          "credit, sizes, workers, rate and checkpoint interval must be set and positive (group"
              + " size >= 2), prompts and partial-batch wait >= 0, a delivery guarantee named");
    }
  }
}
