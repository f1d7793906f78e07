package dev.rredcot.model.budget;

/**
 * The arithmetic of the trainer's retirements, apart from Kafka: the retired count it publishes is
 * its count of credited rollouts read plus an adjustment, clamped to what the ledger admitted, and
 * what stays in flight without movement for the write-off period is written off.
 *
 * <p>A write-off is a guess that the rollouts in flight were lost (dead-lettered, or dropped by a
 * credit job that restarted). When some of them were only late (a credit job that took longer than
 * the period to start) they arrive afterwards and are counted as read, so the retired count would
 * run ahead of the ledger by what was written off, and the workers would sample that much more than
 * the budget allows until the trainer caught up with everything admitted, which does not happen
 * while the credit job is slower than the workers. So a rollout that arrives after a write-off but
 * was created before it (it was claimed before it was sampled, so it was in flight then) takes its
 * write-off back: the adjustment falls by one, at most by what was written off. The creation time
 * is the worker's clock and the write-off time the trainer's; a worker clock that runs behind makes
 * rollouts created just after a write-off look late, which takes back room that was really free:
 * the budget is tighter for a moment, never wider.
 *
 * <p>Write-offs also back off: each write-off with no credited rollout read since the previous one
 * doubles the quiet time the next one needs (up to {@link #MAX_BACKOFF_DOUBLINGS} doublings), and a
 * credited rollout read resets it. Workers claim the room a write-off frees, so without the
 * back-off a credit job that is slow to start would see a write-off every period while it starts,
 * and every rollout sampled in that time would arrive behind the policy.
 *
 * <p>Not thread-safe: used by the trainer's thread only.
 */
final class RetirementAccount {
  /** Most doublings of the write-off period while write-offs follow each other with no read. */
  static final int MAX_BACKOFF_DOUBLINGS = 5;

  private final long writeOffAfterMs;
  private int writeOffsSinceRead;
  private long adjustment;
  private long lastConsumed = Long.MIN_VALUE;
  private long lastAdmitted = Long.MIN_VALUE;
  private long lastMovementMs;
  private long lastWriteOffMs = Long.MIN_VALUE;
  private long writtenOff;
  private long outstanding;
  private long takenBack;
  private long lastWrittenOff;

  /** An account that writes off after {@code writeOffAfterMs} without movement (zero: never). */
  RetirementAccount(long writeOffAfterMs) {
    if (writeOffAfterMs < 0) {
      throw new IllegalArgumentException("writeOffAfterMs must be >= 0, got " + writeOffAfterMs);
    }
    this.writeOffAfterMs = writeOffAfterMs;
  }

  /** Starts from {@code adjustment} (taken from the ledger) at {@code nowMs}. */
  void open(long adjustment, long nowMs) {
    this.adjustment = adjustment;
    this.lastMovementMs = nowMs;
  }

  /**
   * A credited rollout created at {@code createdAtMs} was read for the first time: if it was in
   * flight at the newest write-off, it takes one rollout of that write-off back.
   */
  void arrived(long createdAtMs) {
    if (outstanding > 0 && createdAtMs < lastWriteOffMs) {
      adjustment--;
      outstanding--;
      takenBack++;
    }
  }

  /**
   * The retired count for {@code consumed} rollouts read and {@code admitted} in the ledger at
   * {@code nowMs}; {@link #lastWrittenOff()} says whether this call wrote anything off.
   */
  long retired(long consumed, long admitted, long nowMs) {
    lastWrittenOff = 0;
    if (consumed != lastConsumed || admitted != lastAdmitted) {
      if (consumed != lastConsumed) {
        writeOffsSinceRead = 0;
      }
      lastConsumed = consumed;
      lastAdmitted = admitted;
      lastMovementMs = nowMs;
    }
    long retired = consumed + adjustment;
    if (retired > admitted) {
      adjustment = admitted - consumed;
      retired = admitted;
    } else if (retired < admitted
        && writeOffAfterMs > 0
        && nowMs - lastMovementMs >= writeOffPeriodMs()) {
      long lost = admitted - retired;
      writtenOff += lost;
      outstanding += lost;
      lastWrittenOff = lost;
      adjustment += lost;
      retired = admitted;
      lastMovementMs = nowMs;
      lastWriteOffMs = nowMs;
      writeOffsSinceRead++;
    }
    return retired;
  }

  /** The quiet time the next write-off needs: the period, doubled per write-off since a read. */
  long writeOffPeriodMs() {
    return writeOffAfterMs << Math.min(writeOffsSinceRead, MAX_BACKOFF_DOUBLINGS);
  }

  /** The adjustment now: retired minus read. */
  long adjustment() {
    return adjustment;
  }

  /** Rollouts the newest {@link #retired} call wrote off (0 when it wrote nothing off). */
  long lastWrittenOff() {
    return lastWrittenOff;
  }

  /** Rollouts written off so far. */
  long writtenOff() {
    return writtenOff;
  }

  /** Rollouts of a write-off that arrived after all and took it back. */
  long takenBack() {
    return takenBack;
  }
}
