package dev.rredcot.pipelines.value;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointTrust;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.loading.CheckpointAdoption;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.schemas.PolicyCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy versions one worker JVM holds for scoring, shared by every DoFn instance and thread
 * that uses the same checkpoint store: a static, reference-counted registry keyed by the store's
 * absolute path. The first {@link #acquire} loads the newest {@code versionsHeld} checkpoints of
 * the store (and starts a {@link CheckpointWatcher} when announcements are configured); the last
 * {@link #release} closes everything.
 *
 * <p>With a fixed model ({@link ModelSettings#model()}: a model directory or a completions server)
 * the holder, keyed by that model, holds its one backend and follows no announcements; a URL is
 * scored in the ids of {@link ModelSettings#modelTokenizer()}, by default the tokenizer of the
 * store's newest checkpoint.
 *
 * <p>{@link #lease} picks the version that generated a rollout while it is held, else the newest.
 * New versions come in through {@link #offer}: an announcement is a hint, resolved in this holder's
 * own store only ({@link CheckpointStore#loadAnnounced}, verified against the store's manifest and,
 * when {@link ModelSettings#trustedKeys()} is set, its signature), loaded, and the oldest version
 * beyond {@code versionsHeld} evicted (closed once its last lease is returned). A version the store
 * does not hold is ignored and counted in {@link #ignoredAnnouncements()}; a checkpoint that fails
 * verification or loading (or whose announced digest differs from the store's) is refused with a
 * logged error and counted in {@link #refusedCheckpoints()}; the versions held keep serving.
 *
 * <p>A holder with a pinned version ({@link ModelSettings#pinned()}, for replays) holds exactly
 * that version, refuses to start without it and never takes announcements.
 */
public final class PolicyHolder {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyHolder.class);

  /** One holder per store and pin (a pinned replay must not share a following job's holder). */
  private static final Map<String, PolicyHolder> HOLDERS = new HashMap<>();

  private final String key;
  private final Path storeRoot;
  private final CheckpointTrust trust;
  private final int versionsHeld;
  private final TreeMap<Long, HeldPolicy> held = new TreeMap<>();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong ignored = new AtomicLong();
  private final AtomicLong ignoredReported = new AtomicLong();
  private final AtomicLong loaded = new AtomicLong();
  private final AtomicLong refusedReported = new AtomicLong();
  private CheckpointWatcher watcher;
  // Null for a fixed model, which follows no announcements.
  private final CheckpointAdoption adoption;
  private int references;

  private PolicyHolder(String key, Path storeRoot, CheckpointTrust trust, int versionsHeld) {
    this.key = key;
    this.storeRoot = storeRoot;
    this.trust = trust;
    this.versionsHeld = versionsHeld;
    this.adoption = storeRoot == null ? null : new CheckpointAdoption(store());
  }

  /**
   * The holder of {@code settings.checkpointDir()}, loading it on first use.
   *
   * @throws IllegalStateException when the store has no loadable checkpoint, or not the pinned
   *     version
   */
  public static PolicyHolder acquire(ModelSettings settings) {
    if (!settings.model().isEmpty()) {
      return acquireModel(settings);
    }
    Path root = Path.of(settings.checkpointDir()).toAbsolutePath().normalize();
    // Jobs that trust different keys must not share the versions one of them loaded.
    String key =
        "store:"
            + root
            + (settings.pinned() ? "@v" + settings.pinnedVersion() : "")
            + " trusting "
            + settings.checkpointTrust().describe();
    synchronized (HOLDERS) {
      PolicyHolder holder = HOLDERS.get(key);
      if (holder == null) {
        holder = new PolicyHolder(key, root, settings.checkpointTrust(), settings.versionsHeld());
        if (settings.pinned()) {
          holder.loadPinned(settings.pinnedVersion());
        } else {
          holder.loadFromStore();
        }
        if (!settings.pinned() && !settings.checkpointsBootstrapServers().isEmpty()) {
          holder.watcher =
              CheckpointWatcher.start(
                  settings.checkpointsBootstrapServers(),
                  settings.checkpointsClientConfig(),
                  settings.checkpointsTopic(),
                  holder);
        }
        HOLDERS.put(key, holder);
      }
      holder.references++;
      return holder;
    }
  }

  /**
   * The holder of the fixed model {@code settings.model()}, opening it on first use.
   *
   * @throws IllegalStateException when the model cannot be opened (the server is down, the
   *     directory holds no model, no tokenizer for a URL)
   */
  private static PolicyHolder acquireModel(ModelSettings settings) {
    String key = "model:" + settings.model();
    synchronized (HOLDERS) {
      PolicyHolder holder = HOLDERS.get(key);
      if (holder == null) {
        PolicyBackend backend;
        try {
          backend =
              BackendKinds.open(settings.model(), tokenizerDir(settings), settings.endpoint());
        } catch (IOException | RuntimeException e) {
          throw new IllegalStateException(
              "cannot open --model " + settings.model() + ": " + e.getMessage(), e);
        }
        holder = new PolicyHolder(key, null, CheckpointTrust.digestsOnly(), 1);
        holder.add(backend.version(), backend);
        LOG.info(
            "scoring with {} (fixed model, no checkpoint announcements)", backend.description());
        HOLDERS.put(key, holder);
      }
      holder.references++;
      return holder;
    }
  }

  /** The tokenizer directory of a model URL: the option, else the store's newest checkpoint. */
  private static Path tokenizerDir(ModelSettings settings) throws IOException {
    if (!BackendKinds.isUrl(settings.model())) {
      return null;
    }
    if (!settings.modelTokenizer().isEmpty()) {
      return Path.of(settings.modelTokenizer());
    }
    if (settings.checkpointDir() == null || settings.checkpointDir().isBlank()) {
      return null;
    }
    Optional<Checkpoint> newest =
        new CheckpointStore(
                Path.of(settings.checkpointDir()), Integer.MAX_VALUE, settings.checkpointTrust())
            .newestVerified();
    return newest.map(Checkpoint::dir).orElse(null);
  }

  /** Returns one reference; the last one stops the watcher and closes every policy. */
  public void release() {
    synchronized (HOLDERS) {
      references--;
      if (references > 0) {
        return;
      }
      HOLDERS.remove(key);
    }
    if (watcher != null) {
      watcher.close();
    }
    synchronized (this) {
      for (HeldPolicy policy : held.values()) {
        policy.evict();
      }
      held.clear();
    }
  }

  private void loadFromStore() {
    List<Long> versions;
    try {
      versions = store().versions();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list checkpoints in " + storeRoot, e);
    }
    for (int i = versions.size() - 1; i >= 0 && held.size() < versionsHeld; i--) {
      long version = versions.get(i);
      try {
        Checkpoint checkpoint = store().load(version);
        add(version, PolicyCheckpoints.load(checkpoint));
      } catch (IOException | RuntimeException e) {
        refused.incrementAndGet();
        LOG.error("refusing checkpoint {} in {}: {}", version, storeRoot, e.toString());
      }
    }
    if (held.isEmpty()) {
      throw new IllegalStateException(
          "no loadable policy checkpoint in "
              + storeRoot
              + ": write one (e.g. the initial policy) or point --store at a store");
    }
  }

  private void loadPinned(long version) {
    CheckpointStore store = store();
    List<Long> versions;
    try {
      versions = store.versions();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list checkpoints in " + storeRoot, e);
    }
    if (!versions.contains(version)) {
      throw new IllegalStateException(
          "--policy-version="
              + version
              + ": the checkpoint store "
              + storeRoot
              + " does not hold that version (it holds "
              + (versions.isEmpty() ? "none" : versions)
              + ")");
    }
    try {
      add(version, PolicyCheckpoints.load(store.load(version)));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "--policy-version=" + version + ": cannot load it from " + storeRoot + ": " + e, e);
    }
  }

  /**
   * Loads an announced version from this holder's store by the followers' rules ({@link
   * CheckpointAdoption}, which the rollout workers apply too): a version not newer than the newest
   * held, one that verified but failed to load before, or one not in the store is ignored; one that
   * fails verification is refused (and may be announced again, genuinely).
   *
   * @return true when the version was loaded
   */
  public boolean offer(PolicyCheckpoint announcement) {
    long version = announcement.getVersion();
    if (storeRoot == null) {
      // A fixed model is not a store: announcements do not apply to it.
      ignored.incrementAndGet();
      return false;
    }
    long newest;
    synchronized (this) {
      newest = held.isEmpty() ? Long.MIN_VALUE : held.lastKey();
    }
    CheckpointAdoption.Result result = adoption.offer(announcement, newest);
    switch (result.outcome()) {
      case NOT_NEWER:
        return false;
      case NOT_IN_STORE:
        ignored.incrementAndGet();
        LOG.warn(
            "ignoring announced checkpoint version {}: not in {}; still serving {}",
            version,
            storeRoot,
            heldVersions());
        return false;
      case REFUSED:
        refused.incrementAndGet();
        LOG.error(
            "refusing announced checkpoint version {} ({}): {}; still serving {}",
            version,
            announcement.getUri(),
            result.reason(),
            heldVersions());
        return false;
      default:
        break;
    }
    synchronized (this) {
      add(version, result.policy().orElseThrow());
    }
    LOG.info("scoring with policy version {} from now on (store {})", version, storeRoot);
    return true;
  }

  /** This holder's store, loading under its trust (signatures, when required). */
  private CheckpointStore store() {
    return new CheckpointStore(storeRoot, Integer.MAX_VALUE, trust);
  }

  private void add(long version, PolicyBackend policy) {
    held.put(version, new HeldPolicy(policy));
    loaded.incrementAndGet();
    while (held.size() > versionsHeld) {
      held.pollFirstEntry().getValue().evict();
    }
  }

  /**
   * A lease on the policy for a rollout generated by {@code generatingVersion}: that version if
   * held, else the newest. Close it when the scoring call is done.
   */
  public synchronized Lease lease(long generatingVersion) {
    Map.Entry<Long, HeldPolicy> entry =
        held.containsKey(generatingVersion)
            ? Map.entry(generatingVersion, held.get(generatingVersion))
            : held.lastEntry();
    if (entry == null) {
      throw new IllegalStateException("policy holder for " + key + " was released");
    }
    entry.getValue().users++;
    return new Lease(entry.getKey(), entry.getKey() == generatingVersion, entry.getValue());
  }

  /** Versions held now, ascending. */
  public synchronized List<Long> heldVersions() {
    return List.copyOf(held.keySet());
  }

  /** Checkpoints refused since this holder was created. */
  public long refusedCheckpoints() {
    return refused.get();
  }

  /**
   * Refusals not yet taken by a caller: lets several DoFn instances report each refusal to a metric
   * exactly once.
   */
  public long takeUnreportedRefusals() {
    long total = refused.get();
    long before = refusedReported.getAndSet(total);
    return Math.max(0, total - before);
  }

  /** Announcements of versions this holder's store does not hold (ignored, never waited for). */
  public long ignoredAnnouncements() {
    return ignored.get();
  }

  /** Ignored announcements not yet taken by a caller (see {@link #takeUnreportedRefusals}). */
  public long takeUnreportedIgnored() {
    long total = ignored.get();
    long before = ignoredReported.getAndSet(total);
    return Math.max(0, total - before);
  }

  /** Checkpoints loaded since this holder was created. */
  public long loadedCheckpoints() {
    return loaded.get();
  }

  /** A policy version borrowed for one scoring call. */
  public final class Lease implements AutoCloseable {
    private final long version;
    private final boolean generatingVersion;
    private final HeldPolicy heldPolicy;
    private boolean closed;

    private Lease(long version, boolean generatingVersion, HeldPolicy heldPolicy) {
      this.version = version;
      this.generatingVersion = generatingVersion;
      this.heldPolicy = heldPolicy;
    }

    public PolicyBackend policy() {
      return heldPolicy.policy;
    }

    /** The version scored with. */
    public long version() {
      return version;
    }

    /** Whether it is the version that generated the rollout (else the newest held). */
    public boolean isGeneratingVersion() {
      return generatingVersion;
    }

    @Override
    public void close() {
      synchronized (PolicyHolder.this) {
        if (closed) {
          return;
        }
        closed = true;
        heldPolicy.users--;
        heldPolicy.closeIfUnused();
      }
    }
  }

  /** One loaded version and how many leases are out on it. */
  private static final class HeldPolicy {
    private final PolicyBackend policy;
    private int users;
    private boolean evicted;

    HeldPolicy(PolicyBackend policy) {
      this.policy = policy;
    }

    void evict() {
      evicted = true;
      closeIfUnused();
    }

    void closeIfUnused() {
      if (evicted && users == 0) {
        policy.close();
      }
    }
  }
}
