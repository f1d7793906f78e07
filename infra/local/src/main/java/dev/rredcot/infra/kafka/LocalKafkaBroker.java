package dev.rredcot.infra.kafka;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.process.OwnSession;
import dev.rredcot.model.files.OwnerOnlyFiles;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.schemas.Topics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's Kafka broker: a real single-node KRaft broker ({@code kafka.Kafka}) in a child
 * JVM with this JVM's java and classpath, whose data, log, properties and pid file live under
 * {@code $RREDCOT_HOME/kafka}. It outlives the CLI process that started it; {@link #down} stops it.
 *
 * <pre>{@code
 * LocalKafkaBroker broker = new LocalKafkaBroker(RredcotHome.fromEnvironment());
 * LocalKafkaBroker.UpResult up = broker.up(LocalBrokerSettings.builder().optPort(19092).build());
 * broker.down(Duration.ofSeconds(30));
 * }</pre>
 */
public final class LocalKafkaBroker {
  private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaBroker.class);
  private static final String MAIN_CLASS = "kafka.Kafka";
  private static final int LOG_TAIL_LINES = 20;
  private static final Pattern QUIET_LEVEL = Pattern.compile("\\[(INFO|DEBUG|TRACE)\\]");
  private static final Pattern STACK_FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)");
  private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  // In the data directory: formatted with the SCRAM users of `up --secure`, named in it.
  private static final String SCRAM_MARKER = "rredcot-scram-users";
  private static final String SCRAM_MARKER_PREFIX = "SCRAM users ";

  /**
   * A broker process that runs and is ours (its pid file names it); {@code secure} when its client
   * listener is SASL_SSL (started with {@code --secure}).
   */
  public record RunningBroker(long pid, String bootstrapServers, boolean secure) {}

  /**
   * Outcome of {@link #up}: the broker that serves now, whether it was already running, and the
   * topics this call created.
   */
  public record UpResult(
      RunningBroker broker, boolean alreadyRunning, List<String> createdTopics) {}

  /** Outcome of {@link #down}: the pid that was stopped (if any) and whether it needed SIGKILL. */
  public record DownResult(Optional<Long> stoppedPid, boolean killed) {}

  private final RredcotHome home;

  public LocalKafkaBroker(RredcotHome home) {
    this.home = home;
  }

  public RredcotHome home() {
    return home;
  }

  /**
   * The broker named by the pid file, if that process is alive and is a Kafka broker; a pid file
   * that names no live broker is stale and is removed.
   */
  public Optional<RunningBroker> running() {
    Path pidFile = home.kafkaPidFile();
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    Properties state = new Properties();
    try (InputStream in = Files.newInputStream(pidFile)) {
      state.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pidFile, e);
    }
    long pid;
    try {
      pid = Long.parseLong(state.getProperty("pid", "").trim());
    } catch (NumberFormatException e) {
      LOG.warn("Removing unreadable pid file {}", pidFile);
      deleteQuietly(pidFile);
      return Optional.empty();
    }
    if (!isKafkaProcess(pid)) {
      LOG.info("Removing stale pid file {} (pid {} is not a running broker)", pidFile, pid);
      deleteQuietly(pidFile);
      return Optional.empty();
    }
    return Optional.of(
        new RunningBroker(
            pid,
            state.getProperty("bootstrap"),
            Boolean.parseBoolean(state.getProperty("secure"))));
  }

  /**
   * The client config of {@code role} on the running broker: {@code
   * $RREDCOT_HOME/client-<role>.properties} when it was started with {@code --secure}, else none.
   */
  public Optional<KafkaClientConfig> runningClientConfig(ClientRole role) {
    return running()
        .map(
            broker ->
                broker.secure()
                    ? KafkaClientConfig.load(home.clientPropertiesFile(role.roleName()))
                    : KafkaClientConfig.none());
  }

  /**
   * Starts the broker and creates {@link Topics#ALL}, or reports the one that already runs (and
   * still creates any missing topic on it). A secured broker also gets every {@link ClientRole}'s
   * ACLs, and each role its client properties file.
   *
   * @throws BrokerStartException with the broker log's last lines if it does not come up; the child
   *     process is stopped before this is thrown
   */
  public UpResult up(LocalBrokerSettings settings) {
    Optional<RunningBroker> existing = running();
    if (existing.isPresent()) {
      if (settings.secure() && !existing.get().secure()) {
        throw new IllegalStateException(
            "a plaintext broker already runs at "
                + existing.get().bootstrapServers()
                + ": stop it with `rredcot down` before `rredcot up --secure`");
      }
      KafkaClientConfig clientConfig =
          runningClientConfig(ClientRole.ADMIN).orElse(KafkaClientConfig.none());
      List<String> created =
          createTopics(existing.get().bootstrapServers(), clientConfig, settings);
      if (existing.get().secure()) {
        createAcls(existing.get().bootstrapServers(), clientConfig);
      }
      return new UpResult(existing.get(), true, created);
    }
    LocalBrokerSecurity security =
        settings.secure() ? LocalBrokerSecurity.prepare(home.kafkaDir().resolve("security")) : null;
    SingleNodeKraftConfig config =
        SingleNodeKraftConfig.builder()
            .setBrokerPort(settings.port())
            .setControllerPort(settings.controllerPort())
            .setDataDir(home.kafkaDataDir())
            .optDefaultPartitions(settings.partitions())
            .optSecurity(security)
            .build();
    Path scramMarker = home.kafkaDataDir().resolve(SCRAM_MARKER);
    if (security != null && KraftStorage.isFormatted(home.kafkaDataDir())) {
      requireScramUsers(scramMarker);
    }
    prepareFiles(config);
    KraftStorage.formatIfNeeded(home.kafkaDataDir(), home.kafkaPropertiesFile(), security);
    KafkaClientConfig clientConfig = KafkaClientConfig.none();
    if (security != null) {
      try {
        Files.writeString(
            scramMarker,
            SCRAM_MARKER_PREFIX + String.join(",", LocalBrokerSecurity.userNames()) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + scramMarker, e);
      }
      for (ClientRole role : ClientRole.values()) {
        KafkaClientConfig written =
            security.writeClientProperties(role, home.clientPropertiesFile(role.roleName()));
        if (role == ClientRole.ADMIN) {
          // Starting the broker, creating topics and ACLs is the admin's work.
          clientConfig = written;
        }
      }
    }
    String clusterId = readClusterId();

    Process process = launch(settings);
    // The broker must not outlive a start that fails or is interrupted (Ctrl-C) midway.
    Thread killOnExit = new Thread(process::destroyForcibly, "rredcot-kill-starting-broker");
    Runtime.getRuntime().addShutdownHook(killOnExit);
    boolean started = false;
    try {
      awaitServing(
          process, config.bootstrapServers(), clientConfig, clusterId, settings.startTimeout());
      RunningBroker broker =
          new RunningBroker(process.pid(), config.bootstrapServers(), security != null);
      writePidFile(broker);
      List<String> created = createTopics(broker.bootstrapServers(), clientConfig, settings);
      if (security != null) {
        createAcls(broker.bootstrapServers(), clientConfig);
      }
      started = true;
      LOG.debug("Kafka broker pid {} serving at {}", broker.pid(), broker.bootstrapServers());
      return new UpResult(broker, false, created);
    } catch (KafkaAdminException e) {
      throw new BrokerStartException(
          "broker started but topics could not be created: " + e.getMessage(),
          home.kafkaLogFile(),
          logTail(),
          e);
    } finally {
      if (!started) {
        destroyAndWait(process.toHandle(), Duration.ofSeconds(10));
        deleteQuietly(home.kafkaPidFile());
      }
      try {
        Runtime.getRuntime().removeShutdownHook(killOnExit);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook will run.
      }
    }
  }

  /**
   * Stops the running broker: SIGTERM, then SIGKILL if it has not exited after {@code timeout}.
   * Removes the pid file. Does nothing if no broker runs.
   */
  public DownResult down(Duration timeout) {
    Optional<RunningBroker> broker = running();
    if (broker.isEmpty()) {
      return new DownResult(Optional.empty(), false);
    }
    long pid = broker.get().pid();
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    boolean killed = handle.isPresent() && destroyAndWait(handle.get(), timeout);
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      throw new IllegalStateException("broker pid " + pid + " is still alive after SIGKILL");
    }
    deleteQuietly(home.kafkaPidFile());
    return new DownResult(Optional.of(pid), killed);
  }

  /**
   * The last lines of the broker's log that explain a failure: warnings, errors and exception
   * lines, without stack frames (a failed broker logs dozens of INFO shutdown lines after the
   * cause); all lines if there is no warning. Empty if there is no log.
   */
  public List<String> logTail() {
    List<String> lines =
        tail(home.kafkaLogFile(), 5000).stream()
            .filter(line -> !STACK_FRAME.matcher(line).find())
            .toList();
    List<String> problems =
        lines.stream().filter(line -> !QUIET_LEVEL.matcher(line).find()).toList();
    List<String> shown = problems.isEmpty() ? lines : problems;
    return shown.subList(Math.max(0, shown.size() - LOG_TAIL_LINES), shown.size());
  }

  private void prepareFiles(SingleNodeKraftConfig config) {
    try {
      OwnerOnlyFiles.createDirectories(home.kafkaDataDir());
      // Owner-only: with --secure it holds the keystore and SCRAM passwords.
      java.io.ByteArrayOutputStream properties = new java.io.ByteArrayOutputStream();
      config.toProperties().store(properties, "Written by rredcot up; rewritten on every start");
      OwnerOnlyFiles.write(home.kafkaPropertiesFile(), properties.toByteArray());
      Path logFile = home.kafkaLogFile();
      if (Files.exists(logFile)) {
        // Keep the previous run's log for post-mortems; the tail shown on failure is this run's.
        Files.move(
            logFile,
            logFile.resolveSibling(logFile.getFileName() + ".previous"),
            StandardCopyOption.REPLACE_EXISTING);
      }
      Files.createFile(logFile, OwnerOnlyFiles.fileAttributes(logFile.getParent()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + home.kafkaDir(), e);
    }
  }

  private String readClusterId() {
    Properties meta = new Properties();
    Path metaFile = home.kafkaDataDir().resolve("meta.properties");
    try (InputStream in = Files.newInputStream(metaFile)) {
      meta.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + metaFile, e);
    }
    return meta.getProperty("cluster.id");
  }

  private Process launch(LocalBrokerSettings settings) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx" + settings.maxHeap(),
                "-Djava.awt.headless=true",
                // The broker log is a file: keep Kafka's INFO lines there, with timestamps.
                "-Dlogback.configurationFile=logback-stdout-file.xml",
                "-Drredcot.home=" + home.root(),
                "-cp",
                System.getProperty("java.class.path"),
                MAIN_CLASS,
                home.kafkaPropertiesFile().toString()));
    ProcessBuilder builder =
        new ProcessBuilder(OwnSession.command(command))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.kafkaLogFile().toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process process = builder.start();
      LOG.info(
          "Started Kafka broker pid {} (log {}); waiting until it serves requests",
          process.pid(),
          home.kafkaLogFile());
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + java, e);
    }
  }

  private void awaitServing(
      Process process,
      String bootstrapServers,
      KafkaClientConfig clientConfig,
      String expectedClusterId,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (TopicAdmin admin = TopicAdmin.connect(bootstrapServers, clientConfig, PROBE_TIMEOUT)) {
      while (true) {
        if (!process.isAlive()) {
          throw new BrokerStartException(
              brokerDiedMessage(process.exitValue(), bootstrapServers),
              home.kafkaLogFile(),
              logTail());
        }
        try {
          String clusterId = admin.clusterId();
          if (expectedClusterId.equals(clusterId)) {
            return;
          }
          // Someone else's broker answers on our port; ours will fail to bind and exit.
          LOG.debug("{} answers with cluster id {}, not ours", bootstrapServers, clusterId);
        } catch (KafkaAdminException e) {
          LOG.debug("broker not serving yet: {}", e.getMessage());
        }
        if (System.nanoTime() > deadline) {
          throw new BrokerStartException(
              "broker did not serve requests at "
                  + bootstrapServers
                  + " within "
                  + timeout.toSeconds()
                  + " s",
              home.kafkaLogFile(),
              logTail());
        }
        sleep(POLL_INTERVAL);
      }
    }
  }

  private String brokerDiedMessage(int exitCode, String bootstrapServers) {
    Pattern bindFailure = Pattern.compile("failed to bind to (\\S+?):? Address already in use");
    for (String line : tail(home.kafkaLogFile(), 500)) {
      Matcher matcher = bindFailure.matcher(line);
      if (matcher.find()) {
        return "cannot start the broker: "
            + matcher.group(1)
            + " is already in use (choose another --port or --controller-port)";
      }
    }
    return "the broker for " + bootstrapServers + " exited during start with exit code " + exitCode;
  }

  private List<String> createTopics(
      String bootstrapServers, KafkaClientConfig clientConfig, LocalBrokerSettings settings) {
    try (TopicAdmin admin = TopicAdmin.connect(bootstrapServers, clientConfig, ADMIN_TIMEOUT)) {
      List<String> created =
          admin.createTopics(Topics.ALL, settings.partitions(), settings.topicConfigs());
      return created;
    }
  }

  /** Every role's ACLs (the broker and the admin are super users and need none). */
  private static void createAcls(String bootstrapServers, KafkaClientConfig adminConfig) {
    try (TopicAdmin admin = TopicAdmin.connect(bootstrapServers, adminConfig, ADMIN_TIMEOUT)) {
      admin.createAcls(ClientRole.allAclBindings());
    }
  }

  /**
   * Refuses a data directory formatted without the SCRAM users this version needs (by a plaintext
   * {@code up}, or by an earlier {@code up --secure} with one user for everything): users can only
   * be added at format time without a super user to log in as.
   */
  private void requireScramUsers(Path scramMarker) {
    String remedy =
        ": delete it (its topics go with it) or use another $RREDCOT_HOME for `rredcot up"
            + " --secure`";
    if (!Files.exists(scramMarker)) {
      throw new IllegalStateException(
          home.kafkaDataDir()
              + " was formatted without SCRAM users (by a plaintext `rredcot up`)"
              + remedy);
    }
    String marker;
    try {
      marker = Files.readString(scramMarker, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + scramMarker, e);
    }
    List<String> formatted =
        marker.startsWith(SCRAM_MARKER_PREFIX)
            ? List.of(marker.substring(SCRAM_MARKER_PREFIX.length()).split(","))
            : List.of();
    if (!formatted.containsAll(LocalBrokerSecurity.userNames())) {
      throw new IllegalStateException(
          home.kafkaDataDir()
              + " was formatted with other SCRAM users ("
              + marker
              + ") than one per role ("
              + String.join(", ", LocalBrokerSecurity.userNames())
              + ")"
              + remedy);
    }
  }

  private void writePidFile(RunningBroker broker) {
    Properties state = new Properties();
    state.setProperty("pid", Long.toString(broker.pid()));
    state.setProperty("bootstrap", broker.bootstrapServers());
    state.setProperty("secure", Boolean.toString(broker.secure()));
    Path pidFile = home.kafkaPidFile();
    Path temporary = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(temporary)) {
        state.store(out, "Local Kafka broker started by rredcot up");
      }
      Files.move(temporary, pidFile, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + pidFile, e);
    }
  }

  /**
   * SIGTERM, wait up to {@code timeout}, then SIGKILL and wait again.
   *
   * @return true if SIGKILL was needed
   */
  private static boolean destroyAndWait(ProcessHandle handle, Duration timeout) {
    if (!handle.isAlive()) {
      return false;
    }
    handle.destroy();
    if (awaitExit(handle, timeout)) {
      return false;
    }
    LOG.warn("Broker pid {} ignored SIGTERM for {} s; sending SIGKILL", handle.pid(), timeout);
    handle.destroyForcibly();
    if (!awaitExit(handle, Duration.ofSeconds(10))) {
      throw new IllegalStateException("broker pid " + handle.pid() + " survived SIGKILL");
    }
    return true;
  }

  private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot wait for pid " + handle.pid(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !handle.isAlive();
    }
  }

  private static boolean isKafkaProcess(long pid) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .map(
            handle ->
                handle
                    .info()
                    .arguments()
                    .map(arguments -> Arrays.asList(arguments).contains(MAIN_CLASS))
                    // Without /proc access the arguments are unknown: trust the pid file.
                    .orElse(true))
        .orElse(false);
  }

  static List<String> tail(Path file, int lineCount) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    Deque<String> lines = new ArrayDeque<>(lineCount);
    try (Stream<String> stream = Files.lines(file, StandardCharsets.UTF_8)) {
      stream.forEach(
          line -> {
            if (lines.size() == lineCount) {
              lines.removeFirst();
            }
            lines.addLast(line);
          });
    } catch (IOException | UncheckedIOException e) {
      return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
    }
    return List.copyOf(lines);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException(
          "interrupted while waiting for the broker", null, List.of(), e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", file, e.toString());
    }
  }
}
