package dev.rredcot.model.rollout;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.loading.CheckpointAdoption;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the newest policy a rollout worker has and adopts newer ones from {@code checkpoints}
 * announcements, by the followers' one rule set ({@link CheckpointAdoption}): an announcement is a
 * hint, looked up in the worker's own checkpoint store; a version the store does not hold is
 * ignored (counted); one that fails verification or loading is skipped with a logged error and the
 * current policy stays. The caller swaps only between batches (it asks {@link #current()} at the
 * start of each), so no work is dropped; the replaced policy is closed.
 *
 * <p>Not thread-safe: the worker's loop thread owns it.
 */
public final class PolicyFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyFollower.class);

  /** What happened to an announcement. */
  public enum Outcome {
    /** Loaded and now current. */
    ADOPTED,
    /** Not newer than the current policy, or not held by the worker's store. */
    IGNORED,
    /** Failed verification or loading; the current policy stays. */
    REJECTED
  }

  private final CheckpointAdoption adoption;
  private PolicyBackend current;
  private long adopted;
  private long rejected;
  private long notInStore;

  /**
   * Creates a follower.
   *
   * @param initial the starting policy (owned from now on), or null to wait for an announcement
   * @param adoption decides on announcements and loads what is adopted, from the worker's store
   */
  public PolicyFollower(PolicyBackend initial, CheckpointAdoption adoption) {
    this.current = initial;
    this.adoption = adoption;
  }

  /** The current policy, if any. */
  public Optional<PolicyBackend> current() {
    return Optional.ofNullable(current);
  }

  /** Version of the current policy, or -1 without one. */
  public long currentVersion() {
    return current == null ? -1 : current.version();
  }

  /** Announcements adopted so far. */
  public long adoptedCount() {
    return adopted;
  }

  /** Announcements of newer versions that the worker's store does not hold (ignored). */
  public long notInStoreCount() {
    return notInStore;
  }

  /** Announcements rejected so far (verification or load failed). */
  public long rejectedCount() {
    return rejected;
  }

  /** Takes one announcement. */
  public Outcome offer(PolicyCheckpoint announcement) {
    CheckpointAdoption.Result result = adoption.offer(announcement, currentVersion());
    switch (result.outcome()) {
      case NOT_NEWER:
        return Outcome.IGNORED;
      case NOT_IN_STORE:
        notInStore++;
        LOG.warn(
            "ignoring announcement of v{}: not in this worker's checkpoint store; keeping policy v{}",
            announcement.getVersion(),
            currentVersion());
        return Outcome.IGNORED;
      case REFUSED:
        rejected++;
        LOG.error(
            "skipping checkpoint v{} at {}: {}; keeping policy v{}",
            announcement.getVersion(),
            announcement.getUri(),
            result.reason(),
            currentVersion());
        return Outcome.REJECTED;
      default:
        break;
    }
    PolicyBackend loaded = result.policy().orElseThrow();
    PolicyBackend previous = current;
    current = loaded;
    adopted++;
    if (previous != null) {
      previous.close();
    }
    LOG.info("adopted policy v{}", loaded.version());
    return Outcome.ADOPTED;
  }

  /**
   * Takes several announcements (e.g. one poll), newest first, stopping at the first adopted one:
   * older versions are not worth loading once a newer one is in.
   */
  public void offerAll(List<PolicyCheckpoint> announcements) {
    List<PolicyCheckpoint> newestFirst =
        announcements.stream()
            .sorted(Comparator.comparingLong(PolicyCheckpoint::getVersion).reversed())
            .toList();
    for (PolicyCheckpoint announcement : newestFirst) {
      Outcome outcome = offer(announcement);
      // A rejected or unknown newer version must not hide an older one the store does hold.
      if (outcome == Outcome.ADOPTED || announcement.getVersion() <= currentVersion()) {
        return;
      }
    }
  }

  @Override
  public void close() {
    if (current != null) {
      current.close();
      current = null;
    }
  }
}
