package dev.rredcot.infra.bench;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy the benchmarks score with, and the problems it is made for: the newest checkpoint of a
 * store, else the shipped initial policy materialised into it as version 0.
 */
public final class BenchmarkPolicy {
  private static final Logger LOG = LoggerFactory.getLogger(BenchmarkPolicy.class);

  private BenchmarkPolicy() {}

  /**
   * The newest checkpoint of {@code store}; an empty store first gets the shipped initial policy.
   */
  public static Checkpoint prepare(Path store) throws IOException {
    return prepare(store, BuiltInTask.ARITH);
  }

  /**
   * The newest checkpoint of {@code store}; an empty store first gets the shipped policy of {@code
   * task}.
   */
  public static Checkpoint prepare(Path store, BuiltInTask task) throws IOException {
    CheckpointStore checkpoints = new CheckpointStore(store, Integer.MAX_VALUE);
    Optional<Checkpoint> latest = checkpoints.latest();
    if (latest.isPresent()) {
      LOG.info("benchmark policy: version {} from {}", latest.get().version(), store);
      return latest.get();
    }
    Checkpoint initial = task.materialiseShipped(checkpoints);
    LOG.info("benchmark policy: the shipped {} policy, materialised in {}", task, initial.dir());
    return initial;
  }
}
