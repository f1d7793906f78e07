package dev.rredcot.infra.evaluation;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.pretrain.InitialPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint both evaluations start from: the latest checkpoint of a given store, or else the
 * task's shipped initial policy ({@link InitialPolicy#materialise} for arithmetic, {@code
 * CountdownInitialPolicy} for countdown, verified against its pinned digest), so every run of an
 * evaluation starts from the same weights.
 */
public final class StartingPolicy {

  private static final Logger LOG = LoggerFactory.getLogger(StartingPolicy.class);

  private StartingPolicy() {}

  /** Where the shipped initial policy is materialised unless told otherwise: under the home. */
  public static Path defaultInitialPolicyStore() {
    return initialPolicyStore(RredcotHome.fromEnvironment());
  }

  /** Where the shipped initial policy is materialised under {@code home}. */
  public static Path initialPolicyStore(RredcotHome home) {
    return home.root().resolve("eval").resolve("shipped-initial-policy");
  }

  /**
   * The starting checkpoint: {@code checkpointStore} itself when it is a checkpoint directory, else
   * the latest in that store when given, else the shipped initial policy materialised into {@code
   * initialPolicyStore}.
   */
  public static Checkpoint resolve(
      Optional<Path> checkpointStore, Path initialPolicyStore, BuiltInTask task)
      throws IOException {
    if (checkpointStore.isPresent()
        && Files.isRegularFile(checkpointStore.get().resolve(CheckpointStore.MANIFEST))) {
      // A checkpoint directory itself rather than a store of them.
      Checkpoint checkpoint = CheckpointStore.verify(checkpointStore.get());
      LOG.info("starting policy: {}", checkpoint.dir());
      return checkpoint;
    }
    if (checkpointStore.isPresent()) {
      Optional<Checkpoint> latest = new CheckpointStore(checkpointStore.get(), 1_000).latest();
      if (latest.isEmpty()) {
        throw new IOException(
            "checkpoint store "
                + checkpointStore.get()
                + " holds no checkpoint; --store must point at a store root with a"
                + " v<version>/ directory");
      }
      LOG.info("starting policy: {}", latest.get().dir());
      return latest.get();
    }
    Path store =
        task == BuiltInTask.ARITH
            ? initialPolicyStore
            : initialPolicyStore.resolveSibling(
                initialPolicyStore.getFileName() + "-" + task.familyName());
    Checkpoint shipped = task.materialiseShipped(new CheckpointStore(store, 1_000));
    LOG.info("starting policy: the shipped initial policy, materialised at {}", shipped.dir());
    return shipped;
  }

  /** How {@link #resolve} chose, for the summaries. */
  static String source(Optional<Path> checkpointStore, BuiltInTask task) {
    return checkpointStore.isPresent() ? "--store " + checkpointStore.get() : task.shippedSource();
  }
}
