package dev.rredcot.model.rollout;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the newest policy a rollout worker has and adopts newer ones from {@code checkpoints}
 * announcements. A checkpoint that fails verification (or loading) is skipped with a logged error
 * and the current policy stays. The caller swaps only between batches (it asks {@link #current()}
 * at the start of each), so no work is dropped; the replaced policy is closed.
 *
 * <p>Not thread-safe: the worker's loop thread owns it.
 */
public final class PolicyFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyFollower.class);

  /** Loads the policy an announcement points at, after verifying it. */
  @FunctionalInterface
  public interface PolicyLoader {
    /** Verifies and loads; throws when the checkpoint does not match its announcement. */
    Policy load(PolicyCheckpoint announcement) throws IOException;
  }

  /** What happened to an announcement. */
  public enum Outcome {
    /** Loaded and now current. */
    ADOPTED,
    /** Not newer than the current policy. */
    IGNORED,
    /** Failed verification or loading; the current policy stays. */
    REJECTED
  }

  private final PolicyLoader loader;
  private Policy current;
  private long adopted;
  private long rejected;

  /**
   * Creates a follower.
   *
   * @param initial the starting policy (owned from now on), or null to wait for an announcement
   * @param loader loads announced checkpoints; {@link #verifyingLoader()} in production
   */
  public PolicyFollower(Policy initial, PolicyLoader loader) {
    this.current = initial;
    this.loader = loader;
  }

  /**
   * The production loader: {@link CheckpointStore#verify(Path, String)} against the announced
   * manifest digest, then {@link Policy#load}.
   */
  public static PolicyLoader verifyingLoader() {
    return announcement -> {
      Checkpoint verified =
          CheckpointStore.verify(
              Path.of(URI.create(announcement.getUri())), announcement.getManifestSha256());
      if (verified.version() != announcement.getVersion()) {
        throw new IOException(
            "announced version "
                + announcement.getVersion()
                + " but the checkpoint at "
                + announcement.getUri()
                + " is version "
                + verified.version());
      }
      return Policy.load(verified);
    };
  }

  /** The current policy, if any. */
  public Optional<Policy> current() {
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

  /** Announcements rejected so far (verification or load failed). */
  public long rejectedCount() {
    return rejected;
  }

  /** Takes one announcement. */
  public Outcome offer(PolicyCheckpoint announcement) {
    if (announcement.getVersion() <= currentVersion()) {
      return Outcome.IGNORED;
    }
    Policy loaded;
    try {
      loaded = loader.load(announcement);
    } catch (IOException | RuntimeException e) {
      rejected++;
      LOG.error(
          "skipping checkpoint v{} at {}: {}; keeping policy v{}",
          announcement.getVersion(),
          announcement.getUri(),
          e.toString(),
          currentVersion());
      return Outcome.REJECTED;
    }
    Policy previous = current;
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
      if (offer(announcement) != Outcome.REJECTED) {
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
