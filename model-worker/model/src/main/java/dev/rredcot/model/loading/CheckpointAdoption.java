package dev.rredcot.model.loading;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The one rule set by which a follower of the trainer's {@code checkpoints} announcements (a
 * rollout worker, the credit job's value stage) decides what to load. An announcement is a hint,
 * never a path to follow:
 *
 * <ul>
 *   <li>a version not newer than the newest the follower holds is {@link Outcome#NOT_NEWER};
 *   <li>a version the follower's own store does not hold ({@link CheckpointStore#loadAnnounced}) is
 *       {@link Outcome#NOT_IN_STORE};
 *   <li>one that fails verification under the store's trust (digests, signature, the announced
 *       manifest digest) is {@link Outcome#REFUSED} and not remembered, so a forged announcement
 *       cannot block the real one of the same version;
 *   <li>one that verifies but fails to load ({@link PolicyCheckpoints#load}) is {@link
 *       Outcome#REFUSED} and remembered: a verified checkpoint that does not load will not load on
 *       the next announcement either, so later announcements of it are {@link Outcome#NOT_NEWER};
 *   <li>else it is {@link Outcome#ADOPTED}, and the caller owns the loaded policy.
 * </ul>
 *
 * <p>Thread-safe: offers are taken one at a time.
 */
public final class CheckpointAdoption {

  /** What became of an announcement. */
  public enum Outcome {
    /** Verified and loaded: {@link Result#policy()} is the caller's. */
    ADOPTED,
    /** Not newer than what the follower holds, or a version that failed to load before. */
    NOT_NEWER,
    /** Newer, but the follower's store does not hold it. */
    NOT_IN_STORE,
    /** Failed verification or loading: {@link Result#reason()} says why. */
    REFUSED
  }

  /**
   * The outcome of one announcement.
   *
   * @param outcome what became of it
   * @param policy the loaded policy when adopted, else empty
   * @param reason why it was refused, else empty
   */
  public record Result(Outcome outcome, Optional<PolicyBackend> policy, String reason) {}

  /** Loads a verified checkpoint; {@link PolicyCheckpoints#load} in production. */
  @FunctionalInterface
  public interface Loader {
    /**
     * The policy in {@code checkpoint}.
     *
     * @throws IOException when it cannot be loaded
     */
    PolicyBackend load(Checkpoint checkpoint) throws IOException;
  }

  private final CheckpointStore store;
  private final Loader loader;
  private final TreeSet<Long> unloadable = new TreeSet<>();

  /** Adoption from {@code store} (its trust applies), loading with {@link PolicyCheckpoints}. */
  public CheckpointAdoption(CheckpointStore store) {
    this(store, PolicyCheckpoints::load);
  }

  /** Adoption from {@code store}, loading verified checkpoints with {@code loader}. */
  public CheckpointAdoption(CheckpointStore store, Loader loader) {
    this.store = store;
    this.loader = loader;
  }

  /**
   * Decides on {@code announcement} for a follower whose newest policy is {@code newestHeld} (-1 or
   * less without one), loading the version when it is to be adopted.
   */
  public synchronized Result offer(PolicyCheckpoint announcement, long newestHeld) {
    long version = announcement.getVersion();
    if (version <= newestHeld || unloadable.contains(version)) {
      return new Result(Outcome.NOT_NEWER, Optional.empty(), "");
    }
    Checkpoint verified;
    try {
      Optional<Checkpoint> found =
          store.loadAnnounced(version, announcement.getUri(), announcement.getManifestSha256());
      if (found.isEmpty()) {
        return new Result(Outcome.NOT_IN_STORE, Optional.empty(), "");
      }
      verified = found.get();
    } catch (IOException | RuntimeException e) {
      return new Result(Outcome.REFUSED, Optional.empty(), e.toString());
    }
    try {
      return new Result(Outcome.ADOPTED, Optional.of(loader.load(verified)), "");
    } catch (IOException | RuntimeException e) {
      unloadable.add(version);
      return new Result(Outcome.REFUSED, Optional.empty(), e.toString());
    }
  }
}
