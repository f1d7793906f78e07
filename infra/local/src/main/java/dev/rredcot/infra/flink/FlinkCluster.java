package dev.rredcot.infra.flink;

import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone Flink session cluster on this machine, started from Flink's own entry points: a
 * JobManager ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code
 * TaskManagerRunner}), each a JVM of its own that outlives the process that started it, with its
 * pid file and log under {@link FlinkClusterLayout}. {@link #down} stops them all.
 *
 * <pre>{@code
 * FlinkCluster cluster = new FlinkCluster(home.root().resolve("flink"));
 * FlinkCluster.Running up = cluster.up(settings, FlinkClasspath.ofThisJvm()).cluster();
 * new FlinkRest(up.restAddress()).overview();
 * cluster.down(Duration.ofSeconds(30));
 * }</pre>
 */
public final class FlinkCluster {
  /** Flink's entry point of a standalone session cluster's JobManager. */
  public static final String JOB_MANAGER_CLASS =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";

  /** Flink's entry point of a TaskManager. */
  public static final String TASK_MANAGER_CLASS =
      "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

  private static final Logger LOG = LoggerFactory.getLogger(FlinkCluster.class);
  // The logging of a child process whose standard output is its log file (as the broker's).
  private static final String LOGBACK_CONFIG = "logback-stdout-file.xml";
  private static final String JOB_MANAGER = "jobmanager";
  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);
  private static final int LOG_TAIL_LINES = 15;

  /**
   * A running cluster: its REST address, its Prometheus ports and the pid of each of its processes
   * by name ({@code jobmanager}, {@code taskmanager-1}, ...).
   */
  public record Running(String restAddress, String prometheusPorts, Map<String, Long> pids) {}

  /** Outcome of {@link #up}: the cluster that runs now and whether it already ran. */
  public record UpResult(Running cluster, boolean alreadyRunning) {}

  /** Outcome of {@link #down}: the pids stopped and how many of them needed SIGKILL. */
  public record DownResult(List<Long> stopped, int killed) {}

  private final FlinkClusterLayout layout;

  /** The cluster whose files live under {@code root}. */
  public FlinkCluster(Path root) {
    this.layout = new FlinkClusterLayout(root.toAbsolutePath().normalize());
  }

  public FlinkClusterLayout layout() {
    return layout;
  }

  /**
   * The cluster named by the state file, with those of its processes that are alive and ours; a
   * state file none of whose processes lives is stale and is removed with the pid files.
   */
  public Optional<Running> running() {
    Path stateFile = layout.stateFile();
    if (!Files.isRegularFile(stateFile)) {
      return Optional.empty();
    }
    Properties state = new Properties();
    try (InputStream in = Files.newInputStream(stateFile)) {
      state.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + stateFile, e);
    }
    Map<String, Long> alive = new LinkedHashMap<>();
    for (String process : state.getProperty("processes", "").split(",")) {
      readPid(process).filter(this::isOurs).ifPresent(pid -> alive.put(process, pid));
    }
    if (alive.isEmpty()) {
      LOG.info("Removing stale Flink cluster state {} (no process of it runs)", stateFile);
      removeStateFiles(state.getProperty("processes", "").split(","));
      return Optional.empty();
    }
    return Optional.of(
        new Running(state.getProperty("rest"), state.getProperty("prometheus"), alive));
  }

  /**
   * Writes the configuration and starts the JobManager and the TaskManagers with {@code classpath},
   * then waits until the REST endpoint lists every TaskManager; or reports the cluster that already
   * runs.
   *
   * @throws IllegalStateException with the failing process's log tail if the cluster does not come
   *     up; every process started is stopped before this is thrown
   */
  public UpResult up(FlinkClusterSettings settings, String classpath) {
    Optional<Running> existing = running();
    if (existing.isPresent()) {
      return new UpResult(existing.get(), true);
    }
    String restAddress = "127.0.0.1:" + settings.restPort();
    if (!isFree(settings.restPort())) {
      throw new IllegalStateException(
          restAddress + " is already in use (choose another --rest-port)");
    }
    Map<String, String> config = FlinkClusterConfig.configuration(settings, freePort(), layout);
    prepareFiles(config);
    List<String> processes = new ArrayList<>();
    processes.add(JOB_MANAGER);
    for (int i = 1; i <= settings.taskManagers(); i++) {
      processes.add("taskmanager-" + i);
    }
    Map<String, Process> started = new LinkedHashMap<>();
    // No process may outlive a start that fails or is interrupted (Ctrl-C) midway.
    Thread killOnExit =
        new Thread(
            () -> started.values().forEach(Process::destroyForcibly), "rredcot-kill-flink-start");
    Runtime.getRuntime().addShutdownHook(killOnExit);
    boolean up = false;
    try {
      for (String process : processes) {
        started.put(process, launch(process, settings, classpath, false));
      }
      Map<String, Long> pids = new LinkedHashMap<>();
      started.forEach((name, process) -> pids.put(name, process.pid()));
      Running running = new Running(restAddress, settings.prometheusPorts(), pids);
      writeState(running);
      awaitTaskManagers(started, new FlinkRest(restAddress), settings);
      up = true;
      return new UpResult(running, false);
    } finally {
      if (!up) {
        started.values().forEach(process -> stop(process.toHandle(), Duration.ofSeconds(10)));
        removeStateFiles(processes.toArray(String[]::new));
      }
      try {
        Runtime.getRuntime().removeShutdownHook(killOnExit);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook will run.
      }
    }
  }

  /**
   * Stops every process of the running cluster, TaskManagers first: SIGTERM, then SIGKILL after
   * {@code timeout}. Removes the pid and state files. Does nothing if no cluster runs.
   */
  public DownResult down(Duration timeout) {
    Optional<Running> cluster = running();
    if (cluster.isEmpty()) {
      return new DownResult(List.of(), 0);
    }
    List<String> order = new ArrayList<>(cluster.get().pids().keySet());
    order.remove(JOB_MANAGER);
    order.add(JOB_MANAGER);
    List<Long> stopped = new ArrayList<>();
    int killed = 0;
    for (String process : order) {
      Long pid = cluster.get().pids().get(process);
      if (pid == null) {
        continue;
      }
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      if (handle.isPresent() && stop(handle.get(), timeout)) {
        killed++;
      }
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new IllegalStateException(process + " pid " + pid + " is still alive after SIGKILL");
      }
      stopped.add(pid);
    }
    removeStateFiles(cluster.get().pids().keySet().toArray(String[]::new));
    return new DownResult(stopped, killed);
  }

  /**
   * SIGKILLs the TaskManager {@code process} ({@code taskmanager-1}, ...) of the running cluster,
   * as a crash of its machine would end it, and waits until it is gone. Its pid file stays: {@link
   * #restartTaskManager} rewrites it.
   *
   * @return the pid killed
   * @throws IllegalStateException when no such process of this cluster runs, or it survives
   */
  public long killTaskManager(String process) {
    long pid =
        readPid(process)
            .filter(this::isOurs)
            .orElseThrow(() -> new IllegalStateException("no running Flink " + process));
    ProcessHandle handle =
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(process + " is gone"));
    handle.destroyForcibly();
    if (!awaitExit(handle, Duration.ofSeconds(30))) {
      throw new IllegalStateException("Flink " + process + " pid " + pid + " survived SIGKILL");
    }
    return pid;
  }

  /**
   * Starts the TaskManager {@code process} again with the command {@link #up} gave it (the
   * configuration written then, the same resource id, {@code settings}' memory and {@code
   * classpath}), as an operator restarts a TaskManager that died; its output is appended to its
   * log. The JobManager of a session cluster keeps running jobs, and restarts them from their
   * newest checkpoint once the slots are back.
   *
   * @return the new pid
   * @throws IllegalStateException when the cluster is not running or {@code process} still runs
   */
  public long restartTaskManager(String process, FlinkClusterSettings settings, String classpath) {
    if (!process.startsWith("taskmanager-")) {
      throw new IllegalArgumentException("not a TaskManager: " + process);
    }
    if (!Files.isRegularFile(layout.stateFile())) {
      throw new IllegalStateException("no Flink cluster runs under " + layout.root());
    }
    if (readPid(process).filter(this::isOurs).isPresent()) {
      throw new IllegalStateException("Flink " + process + " still runs");
    }
    return launch(process, settings, classpath, true).pid();
  }

  /** The pid of the live process {@code process} of this cluster, if it runs. */
  public Optional<Long> pid(String process) {
    return readPid(process).filter(this::isOurs);
  }

  /** The last lines of {@code process}'s log. */
  public List<String> logTail(String process) {
    Path log = layout.logFile(process);
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
    } catch (IOException e) {
      return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
    }
  }

  private void prepareFiles(Map<String, String> config) {
    try {
      for (Path dir :
          List.of(
              layout.confDir(),
              layout.logDir(),
              layout.checkpointsDir(),
              layout.savepointsDir(),
              layout.tmpDir())) {
        OwnerOnlyFiles.createDirectories(dir);
      }
      Files.writeString(
          layout.confDir().resolve("config.yaml"),
          FlinkClusterConfig.yaml(config),
          StandardCharsets.UTF_8);
      try (InputStream logging = FlinkCluster.class.getResourceAsStream("/" + LOGBACK_CONFIG)) {
        if (logging == null) {
          throw new IOException(LOGBACK_CONFIG + " is not on the classpath");
        }
        Files.write(layout.confDir().resolve(LOGBACK_CONFIG), logging.readAllBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + layout.root(), e);
    }
  }

  private Process launch(
      String process, FlinkClusterSettings settings, String classpath, boolean appendLog) {
    boolean jobManager = process.equals(JOB_MANAGER);
    Path logFile = layout.logFile(process);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // First, as the kernel may cut a long command line short: marks the process as this cluster's.
    command.add(marker());
    command.addAll(
        jobManager
            ? FlinkClusterConfig.jobManagerJvmOptions(settings)
            : FlinkClusterConfig.taskManagerJvmOptions(settings));
    command.addAll(
        List.of(
            "-Djava.awt.headless=true",
            // The web UI shows the log file named here.
            "-Dlog.file=" + logFile,
            // Every INFO line with a timestamp to standard output, which is the log file.
            "-Dlogback.configurationFile=" + layout.confDir().resolve(LOGBACK_CONFIG),
            "-cp",
            classpath,
            jobManager ? JOB_MANAGER_CLASS : TASK_MANAGER_CLASS,
            "--configDir",
            layout.confDir().toString()));
    if (!jobManager) {
      command.add("-Dtaskmanager.resource-id=" + process);
    }
    try {
      if (!appendLog) {
        Files.deleteIfExists(logFile.resolveSibling(logFile.getFileName() + ".previous"));
      }
      if (!appendLog && Files.exists(logFile)) {
        // Keep the previous run's log for post-mortems.
        Files.move(
            logFile,
            logFile.resolveSibling(logFile.getFileName() + ".previous"),
            StandardCopyOption.REPLACE_EXISTING);
      }
      Process started =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      writePid(process, started.pid());
      LOG.debug("Started Flink {} pid {} (log {})", process, started.pid(), logFile);
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Flink " + process, e);
    }
  }

  private void awaitTaskManagers(
      Map<String, Process> started, FlinkRest rest, FlinkClusterSettings settings) {
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    String lastProblem = "no answer yet";
    while (true) {
      for (Map.Entry<String, Process> process : started.entrySet()) {
        if (!process.getValue().isAlive()) {
          throw new IllegalStateException(
              "the Flink "
                  + process.getKey()
                  + " exited during start with code "
                  + process.getValue().exitValue()
                  + "; last lines of "
                  + layout.logFile(process.getKey())
                  + ":\n"
                  + String.join("\n", logTail(process.getKey())));
        }
      }
      try {
        int registered = rest.overview().taskManagers();
        if (registered >= settings.taskManagers()) {
          return;
        }
        lastProblem = registered + " of " + settings.taskManagers() + " TaskManagers registered";
      } catch (UncheckedIOException e) {
        lastProblem = e.getMessage();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the Flink cluster did not come up within "
                + settings.startTimeout().toSeconds()
                + " s ("
                + lastProblem
                + "); logs in "
                + layout.logDir());
      }
      sleep(POLL_INTERVAL);
    }
  }

  /** Whether {@code pid} is alive and was started by this cluster's {@link #up}. */
  private boolean isOurs(long pid) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .flatMap(handle -> handle.info().commandLine())
        .map(line -> line.contains(marker() + " "))
        .orElse(false);
  }

  private String marker() {
    return "-Drredcot.flink.cluster=" + layout.root();
  }

  private Optional<Long> readPid(String process) {
    Path pidFile = layout.pidFile(process);
    if (process.isBlank() || !Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
    } catch (IOException | NumberFormatException e) {
      LOG.warn("Ignoring unreadable pid file {}", pidFile);
      return Optional.empty();
    }
  }

  private void writePid(String process, long pid) throws IOException {
    Files.writeString(layout.pidFile(process), pid + "\n", StandardCharsets.UTF_8);
  }

  private void writeState(Running running) {
    Properties state = new Properties();
    state.setProperty("rest", running.restAddress());
    state.setProperty("prometheus", running.prometheusPorts());
    state.setProperty("processes", String.join(",", running.pids().keySet()));
    Path stateFile = layout.stateFile();
    Path temporary = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(temporary)) {
        state.store(out, "Flink standalone cluster started by rredcot flink up");
      }
      Files.move(temporary, stateFile, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stateFile, e);
    }
  }

  private void removeStateFiles(String[] processes) {
    try {
      for (String process : processes) {
        if (!process.isBlank()) {
          Files.deleteIfExists(layout.pidFile(process));
        }
      }
      Files.deleteIfExists(layout.stateFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the Flink cluster's state files", e);
    }
  }

  /**
   * SIGTERM, wait up to {@code timeout}, then SIGKILL and wait again.
   *
   * @return true if SIGKILL was needed
   */
  private static boolean stop(ProcessHandle handle, Duration timeout) {
    if (!handle.isAlive()) {
      return false;
    }
    handle.destroy();
    if (awaitExit(handle, timeout)) {
      return false;
    }
    LOG.warn("Flink pid {} ignored SIGTERM for {} s; sending SIGKILL", handle.pid(), timeout);
    handle.destroyForcibly();
    awaitExit(handle, Duration.ofSeconds(10));
    return true;
  }

  private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return !handle.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !handle.isAlive();
    }
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A port free on loopback now, for the JobManager's RPC endpoint. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Flink cluster", e);
    }
  }
}
