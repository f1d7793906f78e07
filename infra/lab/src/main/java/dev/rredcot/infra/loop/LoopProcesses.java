package dev.rredcot.infra.loop;

import dev.rredcot.infra.demo.ChildJvm;
import dev.rredcot.infra.flink.FlinkClasspath;
import dev.rredcot.infra.flink.FlinkCluster;
import dev.rredcot.infra.flink.FlinkClusterSettings;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.LocalBrokerSettings;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online loop as separate processes on one local broker: the broker's JVM, and the trainer, the
 * credit job (embedded Flink with checkpointing, or submitted to a standalone Flink session cluster
 * of the run's own: {@link #startFlinkCluster}), the rollout worker(s) and the task feeder, each a
 * child JVM started with the CLI's own command, as an operator would start it; plus a {@link
 * TopicAudit} of the run's topics. Every process of a run directory shares one checkpoint store and
 * one {@code $RREDCOT_HOME} inside it, so nothing lands in the user's home.
 *
 * <p>Processes are named {@link #TRAINER}, {@link #PIPELINE}, {@link #FEEDER} and {@link
 * #workerNames()}; a (re)start of a name runs the same command with the same state. {@link
 * #close()} stops what runs, clients before the broker.
 */
public final class LoopProcesses implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoopProcesses.class);
  public static final String TRAINER = "trainer";
  public static final String PIPELINE = "pipeline";
  public static final String FEEDER = "feeder";

  // A service (re)started while the broker is down waits for it, as under a supervisor, instead
  // of exiting and waiting for the next restart: the broker's own recovery bounds the service's.
  private static final String WAIT_FOR_BROKER_S = "60";

  /** The one TaskManager of the run's Flink cluster, by its process name. */
  public static final String TASK_MANAGER = "taskmanager-1";

  public static final int CHECKPOINTS_KEPT = 8;
  // The loop runs beside other work on shared cores, where a broker's JVM alone has been seen to
  // take over 90 s (the default) to serve at a load average of 30.
  private static final Duration BROKER_START_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration FLINK_START_TIMEOUT = Duration.ofMinutes(5);

  private final LoopShape shape;
  private final Path runDir;
  private final Path store;
  private final Path logs;
  private final Map<String, String> environment;
  private final Map<String, ChildJvm> children = new LinkedHashMap<>();
  private LocalKafkaBroker broker;
  private LocalBrokerSettings brokerSettings;
  private String bootstrap;
  private TopicAudit audit;
  private FlinkCluster flinkCluster;
  private FlinkClusterSettings flinkSettings;
  private String flinkClasspath;
  private String flinkMaster;
  private Path jobJar;

  public LoopProcesses(LoopShape shape, Path runDir) {
    this.shape = shape;
    this.runDir = runDir.toAbsolutePath();
    this.store = this.runDir.resolve("checkpoints");
    this.logs = this.runDir.resolve("logs");
    // The children's $RREDCOT_HOME: nothing of theirs lands in the user's home.
    this.environment =
        Map.of(RredcotHome.ENVIRONMENT_VARIABLE, this.runDir.resolve("home").toString());
  }

  public LoopShape shape() {
    return shape;
  }

  /** The checkpoint store every process of the run shares. */
  public Path store() {
    return store;
  }

  /** Where each process's output goes, one {@code NAME.log} each. */
  public Path logs() {
    return logs;
  }

  public String bootstrap() {
    return bootstrap;
  }

  public TopicAudit audit() {
    return audit;
  }

  /** {@code worker} for one worker, {@code worker-1 .. worker-n} for several. */
  public List<String> workerNames() {
    if (shape.workers() == 1) {
      return List.of("worker");
    }
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= shape.workers(); i++) {
      names.add("worker-" + i);
    }
    return names;
  }

  /**
   * Starts the broker (its own JVM, on free loopback ports), puts the initial policy in the store
   * and starts the topic audit.
   *
   * @return the broker's bootstrap servers
   */
  public String startBroker() {
    broker = new LocalKafkaBroker(RredcotHome.at(runDir.resolve("stack")));
    brokerSettings =
        LocalBrokerSettings.builder()
            .optPort(freePort())
            .optControllerPort(freePort())
            .optStartTimeout(BROKER_START_TIMEOUT)
            .build();
    bootstrap = broker.up(brokerSettings).broker().bootstrapServers();
    try {
      InitialPolicy.materialise(new CheckpointStore(store, CHECKPOINTS_KEPT));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the initial policy to " + store, e);
    }
    audit = new TopicAudit(bootstrap);
    audit.start();
    return bootstrap;
  }

  /**
   * Starts a standalone Flink session cluster under the children's home, as {@code rredcot flink
   * up} does (Flink's own entry points: one JobManager, {@link #TASK_MANAGER} with one slot, free
   * loopback ports), and makes {@link #PIPELINE} submit the credit job to it, detached, with the
   * job jar {@code jobJar}, instead of running it on an embedded mini-cluster. Call before {@link
   * #startAll}.
   *
   * @return the cluster's REST address
   */
  public String startFlinkCluster(Path jobJar) {
    this.jobJar = jobJar.toAbsolutePath();
    flinkCluster = new FlinkCluster(runDir.resolve("home").resolve("flink"));
    flinkSettings =
        FlinkClusterSettings.builder()
            .optRestPort(freePort())
            .optTaskManagers(1)
            // The job runs at parallelism 1: one slot, one share of network memory.
            .optSlots(1)
            .optStartTimeout(FLINK_START_TIMEOUT)
            .build();
    flinkClasspath = FlinkClasspath.ofThisJvm();
    flinkMaster = flinkCluster.up(flinkSettings, flinkClasspath).cluster().restAddress();
    return flinkMaster;
  }

  /** Whether the credit job runs on the run's Flink cluster rather than in {@link #PIPELINE}. */
  public boolean onFlinkCluster() {
    return flinkMaster != null;
  }

  /** SIGKILLs the cluster's {@link #TASK_MANAGER} and waits until it is gone. */
  public void killTaskManager() {
    requireCluster().killTaskManager(TASK_MANAGER);
  }

  /** Starts {@link #TASK_MANAGER} again with the command the cluster's start gave it. */
  public void restartTaskManager() {
    requireCluster().restartTaskManager(TASK_MANAGER, flinkSettings, flinkClasspath);
  }

  /** Whether the cluster's {@link #TASK_MANAGER} runs (false without a cluster). */
  public boolean taskManagerAlive() {
    return flinkCluster != null && flinkCluster.pid(TASK_MANAGER).isPresent();
  }

  private FlinkCluster requireCluster() {
    if (flinkCluster == null) {
      throw new IllegalStateException("the run has no Flink cluster (startFlinkCluster first)");
    }
    return flinkCluster;
  }

  /** Starts the trainer, the credit job, the worker(s) and the feeder, in that order. */
  public void startAll() {
    start(TRAINER);
    start(PIPELINE);
    for (String worker : workerNames()) {
      start(worker);
    }
    start(FEEDER);
  }

  /** Starts (or restarts) the process {@code name} with its command; output appends to its log. */
  public synchronized void start(String name) {
    children.put(
        name,
        ChildJvm.start(
            name,
            ChildJvm.CLI_MAIN_CLASS,
            arguments(name),
            logs.resolve(name + ".log"),
            environment));
  }

  /** The running (or exited) process {@code name}, or null when never started or stopped. */
  public synchronized ChildJvm child(String name) {
    return children.get(name);
  }

  /** SIGKILLs the process {@code name}, as a crash would end it. */
  public void kill(String name) throws InterruptedException {
    ChildJvm child = child(name);
    if (child != null) {
      child.kill();
    }
  }

  /** Stops (SIGTERM, then SIGKILL after a bound) the processes {@code names}, in order. */
  public void stop(List<String> names) throws InterruptedException {
    for (String name : names) {
      ChildJvm child;
      synchronized (this) {
        child = children.remove(name);
      }
      if (child != null) {
        child.close();
      }
    }
  }

  /** SIGKILLs the broker and waits until it is gone. */
  public void killBroker() {
    long pid = broker.running().orElseThrow(() -> new IllegalStateException("no broker")).pid();
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isPresent()) {
      handle.get().destroyForcibly();
      try {
        handle.get().onExit().get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the broker stopped", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("broker pid " + pid + " survived SIGKILL", e);
      }
    }
  }

  /** Starts the broker again on the same ports and log directory (three attempts). */
  public void restartBroker() {
    RuntimeException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        broker.up(brokerSettings);
        return;
      } catch (RuntimeException e) {
        last = e;
        LOG.warn("restarting the broker failed (attempt {}): {}", attempt + 1, e.toString());
      }
    }
    throw last;
  }

  /** The newest policy version in the store, or -1. */
  public long newestVersion() {
    try {
      List<Long> versions = new CheckpointStore(store, CHECKPOINTS_KEPT).versions();
      return versions.isEmpty() ? -1 : Collections.max(versions);
    } catch (IOException | UncheckedIOException e) {
      // A version directory renamed or deleted while listed: ask again later.
      return -1;
    }
  }

  /** Every rollout id so far and what became of it. */
  public RolloutLedger ledger() {
    return RolloutLedger.read(audit, store);
  }

  /** The command an operator runs for the process {@code name}: the same at every (re)start. */
  private List<String> arguments(String name) {
    if (workerNames().contains(name)) {
      return List.of(
          "worker",
          "--bootstrap",
          bootstrap,
          "--wait-for-broker",
          WAIT_FOR_BROKER_S,
          "--store",
          store.toString(),
          "--group-size",
          Integer.toString(shape.groupSize()),
          "--prompts-per-batch",
          // Bounded by the trainer's in-flight budget (on by default), as the demo's worker.
          Integer.toString(shape.promptsPerBatch()));
    }
    return switch (name) {
      case TRAINER ->
          List.of(
              "trainer",
              "--bootstrap",
              bootstrap,
              "--wait-for-broker",
              WAIT_FOR_BROKER_S,
              "--store",
              store.toString(),
              "--keep",
              Integer.toString(CHECKPOINTS_KEPT),
              "--batch-groups",
              Integer.toString(shape.batchGroups()),
              "--partial-batch-after",
              Integer.toString(shape.partialBatchAfterS()));
      case PIPELINE -> {
        List<String> pipeline =
            new ArrayList<>(
                List.of(
                    "pipeline",
                    "--bootstrap",
                    bootstrap,
                    "--runner=FlinkRunner",
                    "--flink-master=" + (flinkMaster != null ? flinkMaster : "[local]"),
                    "--parallelism=1",
                    "--credit=" + shape.credit(),
                    "--store=" + store,
                    "--state-backend-storage-path=" + runDir.resolve("flink-checkpoints").toUri(),
                    "--checkpointing-interval=" + shape.flinkCheckpointIntervalMs(),
                    "--delivery-guarantee=" + shape.deliveryGuarantee()));
        if (flinkMaster != null) {
          // Named, not found next to the launcher: a test's JVM has no launcher.
          pipeline.add("--files-to-stage=" + jobJar);
        }
        yield pipeline;
      }
      case FEEDER ->
          List.of(
              "feeder",
              "--bootstrap",
              bootstrap,
              "--wait-for-broker",
              WAIT_FOR_BROKER_S,
              "--count",
              Long.toString(shape.prompts()),
              "--first-seed",
              Long.toString(shape.firstSeed()),
              "--rate",
              Double.toString(shape.promptsPerSecond()));
      default -> throw new IllegalArgumentException("no loop process is named " + name);
    };
  }

  /**
   * Stops what runs: the feeder, the workers, the credit job and the trainer, then the Flink
   * cluster, then the broker.
   */
  @Override
  public synchronized void close() {
    List<String> order = new ArrayList<>();
    order.add(FEEDER);
    order.addAll(workerNames());
    order.add(PIPELINE);
    order.add(TRAINER);
    try {
      stop(order);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (flinkCluster != null) {
      try {
        flinkCluster.down(Duration.ofSeconds(20));
      } catch (RuntimeException e) {
        LOG.warn("stopping the Flink cluster failed: {}", e.toString());
      }
      flinkCluster = null;
    }
    if (audit != null) {
      try {
        audit.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      audit = null;
    }
    if (broker != null) {
      try {
        broker.down(Duration.ofSeconds(20));
      } catch (RuntimeException e) {
        LOG.warn("stopping the broker failed: {}", e.toString());
      }
      broker = null;
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
